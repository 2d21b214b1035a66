package scenarios

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// updateDocs rewrites the generated parts of the docs instead of checking them:
// go test ./scenarios -run TestScenarioTable -update
var updateDocs = flag.Bool("update", false, "rewrite the built-in scenario table in docs/scenarios.md")

const (
	scenariosDoc = "../docs/scenarios.md"
	tableBegin   = "<!-- builtin-scenarios: begin (generated from scenarios/builtin/*.yaml: go test ./scenarios -run TestScenarioTable -update) -->"
	tableEnd     = "<!-- builtin-scenarios: end -->"
)

// scenarioTable renders the built-ins as `hbharness scenarios` knows them:
// name, the subsets they belong to, and their own description.
func scenarioTable(bs []Builtin) string {
	var b strings.Builder
	b.WriteString("| name | quick | pre-deploy | description |\n|---|---|---|---|\n")
	mark := func(on bool, m string) string {
		if on {
			return m
		}
		return ""
	}
	for _, s := range bs {
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", s.Name, mark(s.Quick, "q"), mark(s.Predeploy, "p"),
			strings.ReplaceAll(s.Description, "|", `\|`))
	}
	return b.String()
}

// spliceTable puts table between the markers of doc.
func spliceTable(doc, table string) (string, error) {
	before, rest, ok := strings.Cut(doc, tableBegin+"\n")
	if !ok {
		return "", errors.New("no begin marker " + tableBegin)
	}
	_, after, ok := strings.Cut(rest, tableEnd)
	if !ok {
		return "", errors.New("no end marker " + tableEnd + " after the begin marker")
	}
	return before + tableBegin + "\n" + table + tableEnd + after, nil
}

// TestScenarioTable keeps the table of docs/scenarios.md what the built-in
// files say: a description, a quick or a predeploy flag changed without
// regenerating the doc fails here.
func TestScenarioTable(t *testing.T) {
	data, err := os.ReadFile(scenariosDoc)
	require.NoError(t, err, "docs/scenarios.md is part of the repository")
	bs := Builtins(vocab())
	require.NotEmpty(t, bs)
	for _, b := range bs {
		require.NotContains(t, b.Description, "does not parse", b.Name)
	}
	want, err := spliceTable(string(data), scenarioTable(bs))
	require.NoError(t, err, "docs/scenarios.md")
	if *updateDocs {
		require.NoError(t, os.WriteFile(scenariosDoc, []byte(want), 0o644))
		return
	}
	require.Equal(t, want, string(data),
		"docs/scenarios.md's table is out of date: go test ./scenarios -run TestScenarioTable -update")
}

func TestSpliceTable(t *testing.T) {
	table := scenarioTable([]Builtin{{Name: "a", Description: "one | two", Quick: true}, {Name: "b", Description: "x", Predeploy: true}})
	require.Equal(t, "| name | quick | pre-deploy | description |\n|---|---|---|---|\n| `a` | q |  | one \\| two |\n| `b` |  | p | x |\n", table)
	for _, tc := range []struct {
		name, doc, want, err string
	}{
		{name: "replaces what is between the markers",
			doc:  "# S\n" + tableBegin + "\nold\n" + tableEnd + "\ntail\n",
			want: "# S\n" + tableBegin + "\n" + table + tableEnd + "\ntail\n"},
		{name: "an empty table is filled", doc: tableBegin + "\n" + tableEnd, want: tableBegin + "\n" + table + tableEnd},
		{name: "no begin marker", doc: "old\n" + tableEnd, err: "no begin marker"},
		{name: "no end marker", doc: tableBegin + "\nold\n", err: "no end marker"},
		{name: "end before begin", doc: tableEnd + "\n" + tableBegin + "\nold\n", err: "no end marker"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := spliceTable(tc.doc, table)
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}
