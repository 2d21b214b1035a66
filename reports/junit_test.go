package reports

import (
	"bytes"
	"encoding/xml"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/harness/verify"
	"github.com/hbharness/hbharness/summary"
)

// parsedJUnit reads back only what CI readers rely on.
type parsedJUnit struct {
	Tests    int `xml:"tests,attr"`
	Failures int `xml:"failures,attr"`
	Skipped  int `xml:"skipped,attr"`
	Suites   []struct {
		Name     string `xml:"name,attr"`
		Tests    int    `xml:"tests,attr"`
		Failures int    `xml:"failures,attr"`
		Skipped  int    `xml:"skipped,attr"`
		Time     string `xml:"time,attr"`
		Cases    []struct {
			Name    string `xml:"name,attr"`
			Time    string `xml:"time,attr"`
			Failure *struct {
				Message string `xml:"message,attr"`
			} `xml:"failure"`
			Skipped *struct{} `xml:"skipped"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func TestWriteJUnit(t *testing.T) {
	failing := testSummary() // 1 failure, 1 n/a
	passing := testSummary()
	passing.Strategy, passing.Passed = "per-service", true
	passing.Invariants = passing.Invariants[1:]
	interrupted := testSummary()
	interrupted.Strategy, interrupted.Interrupted = "none", true
	interrupted.Invariants = interrupted.Invariants[1:]
	// n/a that was expected to fail missed its expectation: a failure, not a skip.
	interrupted.Invariants[4] = summary.Verdict{Name: verify.ObserversAgree, Outcome: summary.NotApplicable, Expected: summary.Fail, Passed: false}

	var buf bytes.Buffer
	require.NoError(t, WriteJUnit(&buf, []summary.Summary{failing, passing, interrupted}))
	var got parsedJUnit
	require.NoError(t, xml.Unmarshal(buf.Bytes(), &got), buf.String())

	assert.Equal(t, 7+6+6, got.Tests, "each run's verdicts, and its run_completed")
	assert.Equal(t, 1+0+2, got.Failures)
	assert.Equal(t, 1+1+0, got.Skipped)
	require.Len(t, got.Suites, 3)

	s := got.Suites[0]
	assert.Equal(t, "broker-outage/view-gate", s.Name)
	assert.Equal(t, []int{7, 1, 1}, []int{s.Tests, s.Failures, s.Skipped})
	assert.Equal(t, "31.200", s.Time)
	require.Len(t, s.Cases, 7)
	assert.Equal(t, "run_completed", s.Cases[6].Name)
	assert.Equal(t, "31.200", s.Cases[6].Time, "the run's case carries its wall time")
	assert.Nil(t, s.Cases[6].Failure)
	assert.Equal(t, "0", s.Cases[0].Time, "a verdict is judged in no time worth counting")
	assert.Equal(t, verify.AtMostOnePerWindow, s.Cases[0].Name)
	require.NotNil(t, s.Cases[0].Failure)
	assert.Contains(t, s.Cases[0].Failure.Message, "outcome fail, expected pass: key heartbeat:pipeline:2:project:1: gap 10.0s < 30s")
	assert.NotNil(t, s.Cases[5].Skipped, "n/a is skipped")
	assert.Nil(t, s.Cases[2].Failure, "an expected failure passes")

	s = got.Suites[2]
	assert.Equal(t, []int{6, 2, 0}, []int{s.Tests, s.Failures, s.Skipped})
	assert.Equal(t, "run_completed", s.Cases[5].Name)
	require.NotNil(t, s.Cases[5].Failure)
	assert.Contains(t, s.Cases[5].Failure.Message, "interrupted")
}

func TestWriteJUnitEscapesMarkup(t *testing.T) {
	s := testSummary()
	s.Scenario = `<script>alert("x")</script>`
	s.Invariants[0].Detail = "a & b\x00 ]]> <c>"
	var buf bytes.Buffer
	require.NoError(t, WriteJUnit(&buf, []summary.Summary{s}))
	assert.NotContains(t, buf.String(), "<script>")
	var got parsedJUnit
	require.NoError(t, xml.Unmarshal(buf.Bytes(), &got))
	assert.Equal(t, `<script>alert("x")</script>/view-gate`, got.Suites[0].Name)
}
