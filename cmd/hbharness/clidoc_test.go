package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite docs/cli.md from the table of commands and their flag sets")

const regenerate = "go test ./cmd/hbharness -run TestCLIDoc -update"

// docs/cli.md is drawn from the table of commands and their own flag sets:
// a flag added, dropped or reworded without regenerating it fails here.
func TestCLIDoc(t *testing.T) {
	path := filepath.Join("..", "..", "docs", "cli.md")
	require.NoError(t, checkDoc(commands(), path, *update))
}

// The check itself: whatever a command's entry or flag set changes, a doc
// rendered before no longer passes; a doc of the same table does.
func TestCLIDocFailsWhenACommandChanges(t *testing.T) {
	tests := []struct {
		name    string
		changed fake
		stale   bool
	}{
		{"nothing changed", fake{}, false},
		{"a flag added", fake{extra: true}, true},
		{"a default changed", fake{repeat: 2}, true},
		{"a usage reworded", fake{usage: "runs of each strategy"}, true},
		{"a synopsis changed", fake{synopsis: "DIR..."}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "cli.md")
			require.NoError(t, checkDoc([]command{fake{}.command()}, path, true))
			err := checkDoc([]command{tt.changed.command()}, path, false)
			if !tt.stale {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			require.Contains(t, err.Error(), regenerate, "the failure says how to fix it")
		})
	}
	t.Run("a command added", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "cli.md")
		require.NoError(t, checkDoc([]command{fake{}.command()}, path, true))
		other := fake{}.command()
		other.name = "other"
		require.Error(t, checkDoc([]command{fake{}.command(), other}, path, false))
	})
}

// fake is a command for the test of the check, with knobs for what a change
// to a real one could touch.
type fake struct {
	extra    bool   // declare one more flag
	repeat   int    // --repeat's default, 1 unless set
	usage    string // --repeat's usage, "runs per strategy" unless set
	synopsis string // "[flags] DIR" unless set
}

func (f fake) command() command {
	repeat, usage, synopsis := 1, "runs per strategy", "[flags] DIR"
	if f.repeat != 0 {
		repeat = f.repeat
	}
	if f.usage != "" {
		usage = f.usage
	}
	if f.synopsis != "" {
		synopsis = f.synopsis
	}
	return command{name: "fake", summary: "a command for the test", synopsis: []string{synopsis},
		flags: func(*console) *flag.FlagSet {
			fs := newFlags("fake")
			fs.String("out", "", "output folder")
			fs.Int("repeat", repeat, usage)
			if f.extra {
				fs.Bool("quick", false, "only the quick ones")
			}
			return fs
		}}
}

// checkDoc compares the file at path with the doc the table renders, or,
// with update, writes it.
func checkDoc(table []command, path string, update bool) error {
	want := renderCLIDoc(table)
	if update {
		return os.WriteFile(path, []byte(want), 0o644)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("%w; write it with `%s`", err, regenerate)
	}
	if got := string(raw); got != want {
		return fmt.Errorf("%s does not match the commands' flag sets (%s); regenerate it with `%s`", path, firstDifference(got, want), regenerate)
	}
	return nil
}

// firstDifference names the first line where the file and the render part.
func firstDifference(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := range max(len(g), len(w)) {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("line %d reads %q, the commands say %q", i+1, gl, wl)
		}
	}
	return "they differ"
}

// renderCLIDoc is docs/cli.md: the list of commands and the notes they
// share, then one section per command with its synopsis, its flags as its
// flag set declares them, and its notes.
func renderCLIDoc(table []command) string {
	var b strings.Builder
	b.WriteString("# The hbharness command line\n\n")
	fmt.Fprintf(&b, "<!-- Generated from cmd/hbharness's table of commands and their flag sets by\n`%s`: edit those, not this file. -->\n\n", regenerate)
	b.WriteString("`hbharness help` lists the commands; `hbharness help COMMAND` or `hbharness COMMAND -h`\nshows one's usage, as below.\n\n")
	b.WriteString("| command | what it does |\n|---|---|\n")
	for _, c := range table {
		fmt.Fprintf(&b, "| [`%s`](#%s) | %s |\n", c.name, c.name, cell(c.summary))
	}
	b.WriteString("\n```text\n" + generalNotes + "\n```\n")
	for _, c := range table {
		fmt.Fprintf(&b, "\n## %s\n\n%s.", c.name, strings.ToUpper(c.summary[:1])+c.summary[1:])
		if c.formerly != "" {
			fmt.Fprintf(&b, " Formerly `%s`: that name still works, with a note on stderr.", c.formerly)
		}
		b.WriteString("\n\n```text\n")
		for _, s := range c.synopsis {
			b.WriteString(strings.TrimRight("hbharness "+c.name+" "+s, " ") + "\n")
		}
		b.WriteString("```\n")
		if rows := flagRows(c.flags(discardConsole())); len(rows) > 0 {
			b.WriteString("\n| flag | default | |\n|---|---|---|\n")
			for _, r := range rows {
				def := ""
				if r.def != "" {
					def = "`" + r.def + "`"
				}
				fmt.Fprintf(&b, "| `%s` | %s | %s |\n", strings.TrimRight(r.flag+" "+r.arg, " "), def, cell(r.usage))
			}
		}
		if c.notes != "" {
			b.WriteString("\n" + c.notes + "\n")
		}
	}
	return b.String()
}

// cell makes text safe in a markdown table cell: a | would end the cell,
// and a <word> would be taken for HTML.
func cell(s string) string {
	return strings.NewReplacer("|", `\|`, "<", "&lt;", ">", "&gt;").Replace(s)
}
