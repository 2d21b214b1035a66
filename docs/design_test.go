// Package docs_test holds the repository's documentation to the code: the
// design's fixed names against the registries, and every relative link in
// README.md and docs/*.md against the tree.
package docs_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/harness/verify"
	"github.com/hbharness/hbharness/reference/contract"
	"github.com/hbharness/hbharness/runfolder"
)

// section returns the body of doc's H2 section with the given heading, up to
// the next H2.
func section(t *testing.T, doc, heading string) string {
	t.Helper()
	_, body, ok := strings.Cut(doc, "\n## "+heading+"\n")
	require.True(t, ok, "no section %q", "## "+heading)
	body, _, _ = strings.Cut(body, "\n## ")
	return body
}

// rowNames lists the backquoted names that open a section's table rows.
func rowNames(section string) []string {
	var names []string
	for _, m := range regexp.MustCompile("(?m)^\\| `([a-z0-9_-]+)` \\|").FindAllStringSubmatch(section, -1) {
		names = append(names, m[1])
	}
	return names
}

// TestDesignMatchesTheRegistries: the invariants and strategies the design
// fixes are exactly the ones the code registers, so that adding one to the
// code without the design (or the reverse) fails here.
func TestDesignMatchesTheRegistries(t *testing.T) {
	data, err := os.ReadFile("design.md")
	require.NoError(t, err, "the design must be in the repository at docs/design.md")
	doc := string(data)

	require.ElementsMatch(t, verify.Names(), rowNames(section(t, doc, "Invariants")), "docs/design.md#invariants")
	strategies := section(t, doc, "Strategies")
	require.ElementsMatch(t, contract.Strategies(), rowNames(strategies), "docs/design.md#strategies")
	for _, p := range contract.PolicyNames() {
		require.Contains(t, strategies, "`"+p+"`", "docs/design.md#strategies names failure policy %s", p)
	}
	require.Contains(t, strategies, "| `"+contract.DefaultStrategy+"` | the merged PR, and the default:")
	require.Contains(t, section(t, doc, runfolder.SummaryFile), "`"+"hbharness.summary/v1"+"`")
}

func TestRowNames(t *testing.T) {
	sec := "| `a_b` | x |\n|---|---|\n| `c-d` | y |\n| plain | z |\n| not `e` | w |\n"
	require.Equal(t, []string{"a_b", "c-d"}, rowNames(sec))
	require.Empty(t, rowNames("no table"))
}
