package docs_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/require"
)

var (
	fence    = regexp.MustCompile("(?ms)^\\s*```.*?^\\s*```[^\n]*$")
	codeSpan = regexp.MustCompile("`[^`\n]*`")
	mdLink   = regexp.MustCompile(`\[[^\]\n]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)`)
	heading  = regexp.MustCompile(`(?m)^#{1,6}\s+(.+?)\s*#*\s*$`)
)

// withoutCode blanks fenced blocks and code spans, where brackets are
// syntax (`[--flag]`), not links.
func withoutCode(text string) string {
	return codeSpan.ReplaceAllString(fence.ReplaceAllString(text, ""), "``")
}

// anchors lists the fragment ids GitHub gives a Markdown file's headings:
// lower case, punctuation dropped, spaces to hyphens, repeats numbered.
func anchors(text string) map[string]bool {
	out := map[string]bool{}
	seen := map[string]int{}
	for _, m := range heading.FindAllStringSubmatch(fence.ReplaceAllString(text, ""), -1) {
		var b strings.Builder
		for _, r := range strings.ToLower(m[1]) {
			switch {
			case r == ' ':
				b.WriteRune('-')
			case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsNumber(r):
				b.WriteRune(r)
			}
		}
		id := b.String()
		if n := seen[id]; n > 0 {
			out[fmt.Sprintf("%s-%d", id, n)] = true
		} else {
			out[id] = true
		}
		seen[id]++
	}
	return out
}

// brokenLinks lists every relative link of the named files (paths relative to
// root) that does not resolve to a file or folder inside root, or whose
// #anchor names no heading of the Markdown file it points into.
func brokenLinks(root string, files []string) ([]string, error) {
	var bad []string
	for _, file := range files {
		data, err := os.ReadFile(filepath.Join(root, file))
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", file, err)
		}
		for _, m := range mdLink.FindAllStringSubmatch(withoutCode(string(data)), -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			path, anchor, _ := strings.Cut(target, "#")
			dest := filepath.Join(filepath.Dir(file), filepath.FromSlash(path))
			if path == "" {
				dest = file
			}
			if rel, err := filepath.Rel(".", dest); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(path) {
				bad = append(bad, fmt.Sprintf("%s: %s leaves the repository", file, target))
				continue
			}
			info, err := os.Stat(filepath.Join(root, dest))
			if err != nil {
				bad = append(bad, fmt.Sprintf("%s: %s: no such file", file, target))
				continue
			}
			if anchor == "" || info.IsDir() || !strings.HasSuffix(dest, ".md") {
				continue
			}
			text, err := os.ReadFile(filepath.Join(root, dest))
			if err != nil {
				return nil, fmt.Errorf("read %s: %w", dest, err)
			}
			if !anchors(string(text))[anchor] {
				bad = append(bad, fmt.Sprintf("%s: %s: no heading #%s in %s", file, target, anchor, filepath.ToSlash(dest)))
			}
		}
	}
	return bad, nil
}

// TestLinksResolve: every relative link of the README and the docs points at
// something a clone has.
func TestLinksResolve(t *testing.T) {
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	files := []string{"README.md"}
	docs, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	require.NoError(t, err)
	require.NotEmpty(t, docs)
	for _, d := range docs {
		rel, err := filepath.Rel(root, d)
		require.NoError(t, err)
		files = append(files, rel)
	}
	bad, err := brokenLinks(root, files)
	require.NoError(t, err)
	require.Empty(t, bad)
}

func TestBrokenLinks(t *testing.T) {
	for _, tc := range []struct {
		name string
		text string // README.md's text, beside docs/a.md and scripts/
		bad  string // "" : every link resolves
	}{
		{name: "file", text: "[a](docs/a.md)"},
		{name: "folder", text: "see [scripts](scripts/)"},
		{name: "anchor", text: "[a](docs/a.md#the-pattern-under-test)"},
		{name: "anchor of a heading with punctuation", text: "[s](docs/a.md#summaryjson) [t](docs/a.md#antennas-path-2026-12-07)"},
		{name: "repeated heading", text: "[x](docs/a.md#notes-1)"},
		{name: "own anchor", text: "# Top\n## Here\n[h](#here)"},
		{name: "external links are not checked", text: "[g](https://github.com/x/y) [m](mailto:a@b.c)"},
		{name: "links in code are not links", text: "`[x](nowhere.md)`\n```\n[y](nowhere.md)\n```\n"},
		{name: "missing file", text: "[n](docs/nowhere.md)", bad: "docs/nowhere.md: no such file"},
		{name: "missing anchor", text: "[a](docs/a.md#nowhere)", bad: "no heading #nowhere in docs/a.md"},
		{name: "heading in a code block is no anchor", text: "[a](docs/a.md#not-a-heading)", bad: "no heading #not-a-heading"},
		{name: "missing own anchor", text: "# Top\n[h](#there)", bad: "no heading #there in README.md"},
		{name: "outside the repository", text: "[s](../elsewhere/design.md)", bad: "leaves the repository"},
		{name: "absolute path", text: "[p](/etc/passwd)", bad: "leaves the repository"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			require.NoError(t, os.MkdirAll(filepath.Join(root, "docs"), 0o755))
			require.NoError(t, os.MkdirAll(filepath.Join(root, "scripts"), 0o755))
			a := "# A\n## The pattern under test\n## summary.json\n## Antenna's path (2026-12-07)\n## Notes\n## Notes\n```\n## Not a heading\n```\n"
			require.NoError(t, os.WriteFile(filepath.Join(root, "docs", "a.md"), []byte(a), 0o644))
			require.NoError(t, os.WriteFile(filepath.Join(root, "README.md"), []byte(tc.text), 0o644))
			bad, err := brokenLinks(root, []string{"README.md", "docs/a.md"})
			require.NoError(t, err)
			if tc.bad == "" {
				require.Empty(t, bad)
				return
			}
			require.Len(t, bad, 1)
			require.Contains(t, bad[0], tc.bad)
		})
	}
}
