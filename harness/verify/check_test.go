package verify

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/harness/history"
	"github.com/hbharness/hbharness/summary"
)

func TestCheckHealthyHistoryPassesEverything(t *testing.T) {
	vs := Check(healthy(), Options{})
	require.Len(t, vs, len(Names()))
	for i, v := range vs {
		assert.Equal(t, Names()[i], v.Name)
		if v.Name == NoFalseLiveness || v.Name == RecoversAfterFault {
			assert.Equal(t, summary.NotApplicable, v.Outcome, "every service polls throughout, no fault: %s", v.Detail)
			continue
		}
		assert.Equal(t, summary.Pass, v.Outcome, "%s: %s", v.Name, v.Detail)
		assert.Equal(t, summary.Pass, v.Expected, v.Name)
		assert.True(t, v.Passed, v.Name)
	}
	assert.True(t, Passed(vs))
}

func TestCheckExpectations(t *testing.T) {
	stale := func(h *history.History) {
		h.Samples = append(h.Samples, history.Sample{At: 5 * time.Minute, ServiceID: 1, Staleness: 2 * time.Minute, Live: true})
	}
	external := func(h *history.History) { h.HaveDispatches = false }
	cases := []struct {
		name     string
		edit     func(h *history.History)
		expect   map[string]string
		verdict  string
		outcome  summary.Outcome
		expected summary.Outcome
		passed   bool
		all      bool
	}{
		{"failing invariant expected to fail passes", stale, map[string]string{LastSeenNeverStale: "fail"},
			LastSeenNeverStale, summary.Fail, summary.Fail, true, true},
		{"failing invariant expected to pass fails", stale, nil,
			LastSeenNeverStale, summary.Fail, summary.Pass, false, false},
		{"passing invariant expected to fail fails", nil, map[string]string{LastSeenNeverStale: "fail"},
			LastSeenNeverStale, summary.Pass, summary.Fail, false, false},
		{"n/a passes whatever was expected", external, map[string]string{ObserversAgree: "fail"},
			ObserversAgree, summary.NotApplicable, summary.Fail, true, true},
		{"external mode judges the rest from writes", external, nil,
			AtMostOnePerWindow, summary.Pass, summary.Pass, true, true},
		{"either matches a fail", stale, map[string]string{LastSeenNeverStale: "either"},
			LastSeenNeverStale, summary.Fail, summary.Either, true, true},
		{"either matches a pass", nil, map[string]string{LastSeenNeverStale: "either"},
			LastSeenNeverStale, summary.Pass, summary.Either, true, true},
		{"an expectation that is not an outcome never matches", nil, map[string]string{RequestsSucceed: "maybe"},
			RequestsSucceed, summary.Pass, summary.Outcome("maybe"), false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := healthy()
			if tc.edit != nil {
				tc.edit(&h)
			}
			vs := Check(h, Options{Expect: tc.expect})
			require.Len(t, vs, len(Names()))
			var got summary.Verdict
			for _, v := range vs {
				if v.Name == tc.verdict {
					got = v
				}
			}
			require.Equal(t, tc.verdict, got.Name)
			assert.Equal(t, tc.outcome, got.Outcome, got.Detail)
			assert.Equal(t, tc.expected, got.Expected)
			assert.Equal(t, tc.passed, got.Passed)
			assert.Equal(t, tc.all, Passed(vs))
		})
	}
}

func TestPassed(t *testing.T) {
	cases := []struct {
		name string
		vs   []summary.Verdict
		want bool
	}{
		{"no verdicts prove nothing", nil, false},
		{"all matched", []summary.Verdict{{Passed: true}, {Passed: true}}, true},
		{"one mismatch", []summary.Verdict{{Passed: true}, {Passed: false}}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, Passed(tc.vs))
		})
	}
}

func TestOptionsValidate(t *testing.T) {
	cases := []struct {
		name   string
		expect map[string]string
		errs   []string
	}{
		{"none", nil, nil},
		{"pass and fail", map[string]string{LastSeenNeverStale: "fail", RequestsSucceed: "pass"}, nil},
		{"unknown invariant", map[string]string{"last_seen_fresh": "fail"}, []string{`"last_seen_fresh" is not an invariant`}},
		{"unknown outcome", map[string]string{ObserversAgree: "n/a"}, []string{`observers_agree: "n/a" is not an outcome`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := Options{Expect: tc.expect}.Validate()
			if len(tc.errs) == 0 {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			for _, s := range tc.errs {
				assert.Contains(t, err.Error(), s)
			}
		})
	}
}
