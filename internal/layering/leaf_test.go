package layering

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// leaves are the packages anyone may import to read what the harness wrote
// (a CI script reading summary.json, a report reading a past run) without
// pulling in its database and broker clients: they import the standard
// library and other leaves only. Their tests may use more.
func leaves() []string {
	return []string{"summary", "faults", "reports/chart"}
}

func TestLeavesImportOnlyTheStandardLibrary(t *testing.T) {
	root, err := filepath.Abs("../..")
	require.NoError(t, err)
	g := readGraph(t, root)
	for _, leaf := range leaves() {
		require.Contains(t, g.imports, leaf, "leaf %s is not in the module", leaf)
	}
	for _, v := range leafViolations(g, leaves()) {
		t.Error(v)
	}
}

// The checker itself: a leaf that reaches past another leaf into the
// module, or imports another module, is named.
func TestLeafViolationsNameTheImport(t *testing.T) {
	g := graph{
		imports: map[string][]string{
			"summary":         {"verdict"},
			"verdict":         nil,
			"fault":           {"harness/history"},
			"harness/history": nil,
			"clean":           nil,
		},
		outside: map[string][]string{"verdict": {"github.com/stretchr/testify/require"}},
		tests:   map[string][]string{"clean": {"harness/history"}},
	}
	got := leafViolations(g, []string{"summary", "verdict", "fault", "clean"})
	require.Equal(t, []string{
		"fault imports harness/history, which is not a leaf: a leaf imports the standard library and other leaves only",
		"verdict imports github.com/stretchr/testify/require from another module: a leaf imports the standard library and other leaves only",
	}, got)
	require.Empty(t, leafViolations(graph{imports: map[string][]string{"summary": {"verdict"}, "verdict": nil}}, []string{"summary", "verdict"}),
		"a leaf may import another leaf")
}

// leafViolations lists every import of a leaf's own files that is neither
// the standard library nor another leaf.
func leafViolations(g graph, leaves []string) []string {
	var out []string
	for _, leaf := range leaves {
		for _, dep := range g.imports[leaf] {
			if !slices.Contains(leaves, dep) {
				out = append(out, leaf+" imports "+dep+", which is not a leaf: a leaf imports the standard library and other leaves only")
			}
		}
		for _, dep := range g.outside[leaf] {
			out = append(out, leaf+" imports "+dep+" from another module: a leaf imports the standard library and other leaves only")
		}
	}
	slices.Sort(out)
	return out
}

// stdlib tells a standard library import path from a module's: only the
// latter's first element is a domain name.
func stdlib(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".")
}
