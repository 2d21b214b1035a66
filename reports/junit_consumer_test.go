package reports

import (
	"bytes"
	"testing"

	junit "github.com/joshdk/go-junit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/harness/verify"
	"github.com/hbharness/hbharness/summary"
)

// A JUnit reader that is not ours (github.com/joshdk/go-junit, as CI
// dashboards ingest reports) reads the file as we mean it: every test ID
// unique across two runs of one scenario told apart by label, an expected
// failure a pass that carries its finding, a miss a failure, n/a a skip
// worded once.
func TestJUnitAsAnotherReaderSeesIt(t *testing.T) {
	release := brokerOutage()
	release.Label = "release"
	nightly := brokerOutage()
	nightly.Label = "nightly"
	failing := testSummary()
	for i, v := range failing.Invariants {
		if v.Outcome == summary.NotApplicable {
			failing.Invariants[i].Detail = "not applicable: external target" // as verify words some
		}
	}
	var buf bytes.Buffer
	require.NoError(t, WriteJUnit(&buf, []summary.Summary{release, nightly, failing}))

	suites, err := junit.Ingest(buf.Bytes())
	require.NoError(t, err, buf.String())
	require.Len(t, suites, 3)
	assert.Equal(t, []string{"broker-outage/view-gate [release]", "broker-outage/view-gate [nightly]", "broker-outage/view-gate"},
		[]string{suites[0].Name, suites[1].Name, suites[2].Name})

	ids := map[string]bool{}
	byID := map[string]junit.Test{}
	for _, s := range suites {
		for _, tc := range s.Tests {
			id := tc.Classname + "." + tc.Name
			require.False(t, ids[id], "test ID %q is not unique", id)
			ids[id] = true
			byID[id] = tc
		}
	}

	expected := byID["broker-outage/view-gate [release]."+verify.NeverOfflineWhilePolled]
	assert.Equal(t, junit.StatusPassed, expected.Status, "an expected failure is a pass")
	assert.Contains(t, expected.SystemOut, "EXPECTED FAILURE: never_marked_offline_while_polled failed, as the scenario declares")
	assert.Contains(t, expected.SystemOut, "service 1 read offline from 2m5s", "with its finding")

	plain := byID["broker-outage/view-gate [release]."+verify.RequestsSucceed]
	assert.Equal(t, junit.StatusPassed, plain.Status)
	assert.Empty(t, plain.SystemOut, "an ordinary pass says nothing more")

	missed := byID["broker-outage/view-gate."+verify.AtMostOnePerWindow]
	assert.Equal(t, junit.StatusFailed, missed.Status)
	assert.Contains(t, missed.Message, "outcome fail, expected pass")

	var skipped []junit.Test
	for _, tc := range byID {
		if tc.Status == junit.StatusSkipped {
			skipped = append(skipped, tc)
		}
	}
	require.NotEmpty(t, skipped)
	for _, tc := range skipped {
		assert.NotContains(t, tc.Message, "not applicable: not applicable", tc.Name)
	}
}
