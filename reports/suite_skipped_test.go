package reports

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/summary"
)

// externalSuite is a suite against a deployment: one run judged and passed,
// one fault scenario left out.
func externalSuite() []summary.Summary {
	pass := testSummary()
	pass.Scenario, pass.Passed, pass.Target, pass.OutDir = "predeploy-steady", true, "http://127.0.0.1:8000", "out/predeploy-steady"
	for i := range pass.Invariants {
		pass.Invariants[i].Passed = true
	}
	skip := summary.Summary{Scenario: "broker-outage", Strategy: "view-gate", Target: "http://127.0.0.1:8000",
		Skipped: "it injects faults (broker-down)"}
	return []summary.Summary{pass, skip}
}

func TestSuiteTableNamesTheTargetAndTheSkipped(t *testing.T) {
	tests := []struct {
		name string
		runs []summary.Summary
		want []string
		not  []string
	}{
		{"external", externalSuite(), []string{
			"target: http://127.0.0.1:8000 (external deployment)\n",
			"skipped broker-outage/view-gate: it injects faults (broker-down)\n",
			"1 passed (1 with expected failures), 0 failed, 1 skipped\n",
		}, nil},
		{"in-process", []summary.Summary{testSummary()}, []string{"0 passed, 1 failed\n"}, []string{"target:", "skipped"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			require.NoError(t, WriteSuiteTable(&buf, tt.runs, false))
			out := buf.String()
			for _, w := range tt.want {
				assert.Contains(t, out, w)
			}
			for _, n := range tt.not {
				assert.NotContains(t, out, n)
			}
			if tt.name == "external" {
				assert.Regexp(t, `\nbroker-outage\s+view-gate\s+SKIPPED\s+—`, out, "a row of its own")
			}
			assert.True(t, strings.HasPrefix(out, "target:") == (tt.name == "external"), "the target heads the table:\n%s", out)
		})
	}
}

func TestJUnitSkippedRunIsOneSkippedCaseWithItsTarget(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, WriteJUnit(&buf, externalSuite()))
	var got struct {
		Tests   int `xml:"tests,attr"`
		Skipped int `xml:"skipped,attr"`
		Suites  []struct {
			Name       string `xml:"name,attr"`
			Tests      int    `xml:"tests,attr"`
			Skipped    int    `xml:"skipped,attr"`
			Properties []struct {
				Name  string `xml:"name,attr"`
				Value string `xml:"value,attr"`
			} `xml:"properties>property"`
			Cases []struct {
				Name    string `xml:"name,attr"`
				Skipped *struct {
					Message string `xml:"message,attr"`
				} `xml:"skipped"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	require.NoError(t, xml.Unmarshal(buf.Bytes(), &got), buf.String())
	require.Len(t, got.Suites, 2)
	s := got.Suites[1]
	assert.Equal(t, "broker-outage/view-gate", s.Name)
	assert.Equal(t, []int{1, 1}, []int{s.Tests, s.Skipped})
	require.Len(t, s.Cases, 1)
	require.NotNil(t, s.Cases[0].Skipped)
	assert.Equal(t, "not run: it injects faults (broker-down)", s.Cases[0].Skipped.Message)
	for _, suite := range got.Suites {
		var target string
		for _, p := range suite.Properties {
			if p.Name == "target" {
				target = p.Value
			}
		}
		assert.Equal(t, "http://127.0.0.1:8000", target, "%s names the target it judged", suite.Name)
	}
	assert.Equal(t, got.Suites[0].Tests+1, got.Tests)
	assert.Equal(t, got.Suites[0].Skipped+1, got.Skipped)
}
