package verify

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/harness/history"
	"github.com/hbharness/hbharness/summary"
)

// A failed verdict says what and when as data, so that a report can name it
// in one line and mark it on its chart; a held one says nothing.
func TestFailedVerdictsSayWhere(t *testing.T) {
	secs := func(d time.Duration) *float64 { s := d.Seconds(); return &s }
	cases := []struct {
		name      string
		invariant string
		edit      func(h *history.History)
		subject   string
		from, to  *float64
	}{
		{"two dispatches in one window", AtMostOnePerWindow, func(h *history.History) {
			h.Dispatches = dispatchesAt(*h, key1, time.Second, 2*time.Minute, 2*time.Minute+10*time.Second)
		}, "key " + key1, secs(2 * time.Minute), secs(2*time.Minute + 10*time.Second)},
		{"a key dispatched too rarely", RateNearExpected, func(h *history.History) {
			h.Dispatches = dispatchesAt(*h, key2, time.Second)
		}, "key " + key2, secs(0), secs(10 * time.Minute)},
		{"a service stale for a stretch", LastSeenNeverStale, func(h *history.History) {
			for i, s := range h.Samples {
				if s.ServiceID == 1 && s.At >= 4*time.Minute && s.At <= 5*time.Minute {
					h.Samples[i].Staleness = time.Minute + s.At - 4*time.Minute
				}
			}
		}, "service 1", secs(4 * time.Minute), secs(5 * time.Minute)},
		{"a service read offline", NeverOfflineWhilePolled, func(h *history.History) {
			for i, s := range h.Samples {
				if s.ServiceID == 2 && s.At >= 3*time.Minute && s.At < 3*time.Minute+20*time.Second {
					h.Samples[i].Live = false
				}
			}
		}, "service 2", secs(3 * time.Minute), secs(3*time.Minute + 15*time.Second)},
		{"5xx on /result past its allowance", RequestsSucceed, func(h *history.History) {
			bad := history.RequestCounts{Total: 10, OK: 6, Status5xx: 4}
			h.Requests.ByEndpoint["result"] = bad
			h.AllowedErrors = history.Allowance{PerEndpoint: map[string]int64{"result": 1}}
			for from := time.Duration(0); from < h.Duration; from += 10 * time.Second {
				w := history.RequestWindow{From: from, Every: 10 * time.Second, ByEndpoint: map[string]history.RequestCounts{"tasks": {Total: 5, OK: 5}}}
				if from == 70*time.Second || from == 120*time.Second {
					w.ByEndpoint["result"] = history.RequestCounts{Total: 5, OK: 3, Status5xx: 2}
				}
				h.Requests.Timeline = append(h.Requests.Timeline, w)
			}
		}, "endpoint result", secs(70 * time.Second), secs(130 * time.Second)},
		{"recovered too slowly", RecoversAfterFault, func(h *history.History) {
			outage(h, 3*time.Minute+120*time.Second, false)
		}, "broker-down recovery", secs(3*time.Minute + 70*time.Second), secs(3*time.Minute + 120*time.Second)},
		{"a silent service kept live", NoFalseLiveness, func(h *history.History) {
			silentSibling(h, true)
		}, "service 2", secs(5*time.Minute + 10*time.Second), nil},
		{"an external row written twice in a window", AtMostOnePerWindow, func(h *history.History) {
			h.HaveDispatches, h.Dispatches, h.Tasks = false, nil, nil
			h.QueueAllowance = 3 * time.Second
			for i := range h.Writes {
				h.Writes[i].DispatchID = ""
			}
			h.Writes = append(h.Writes, history.Write{At: 2*time.Minute + time.Second, Key: key2, Services: []int64{2}})
		}, "service 2", secs(2*time.Minute + time.Second), secs(2*time.Minute + time.Second + 10*time.Millisecond)},
		{"a write no dispatch made", ObserversAgree, func(h *history.History) {
			h.Writes = append(h.Writes, history.Write{At: 4 * time.Minute, Key: key1, Services: []int64{1}, TxID: 77})
		}, "transaction 77", secs(4 * time.Minute), nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := healthy()
			tc.edit(&h)
			v := verdictOf(t, Check(h, Options{}), tc.invariant)
			require.Equal(t, summary.Fail, v.Outcome, v.Detail)
			require.NotNil(t, v.Where, v.Detail)
			assert.Equal(t, tc.subject, v.Where.Subject)
			assert.Equal(t, fmtSecs(tc.from), fmtSecs(v.Where.FromS))
			assert.Equal(t, fmtSecs(tc.to), fmtSecs(v.Where.ToS))
			if tc.invariant == ObserversAgree {
				assert.Nil(t, v.Extent, "a reconciliation's findings have no one measure to size them by")
				return
			}
			x := v.Extent
			require.NotNil(t, x, "a failed verdict is sized whole")
			assert.Positive(t, x.Count, "something was wrong")
			assert.LessOrEqual(t, x.Count, x.Of, "of what was judged")
			assert.NotEmpty(t, x.Noun)
			assert.NotEmpty(t, x.Unit)
			switch x.Limit {
			case "max":
				assert.Greater(t, x.Worst, x.Bound, "the worst is past its bound")
			case "min":
				assert.Less(t, x.Worst, x.Bound, "the worst is short of its bound")
			default:
				t.Errorf("limit %q", x.Limit)
			}
			assert.LessOrEqual(t, x.FromS, x.ToS)
			assert.LessOrEqual(t, x.TotalS, x.ToS-x.FromS+1e-9, "the union is no longer than the span")
			if v.Where.FromS != nil {
				to := *v.Where.FromS
				if v.Where.ToS != nil {
					to = *v.Where.ToS
				}
				assert.LessOrEqual(t, x.FromS, to+1e-9, "the worst place meets the whole")
				assert.GreaterOrEqual(t, x.ToS+1e-9, *v.Where.FromS, "the worst place meets the whole")
			}
		})
	}
	for _, v := range Check(healthy(), Options{}) {
		assert.Nil(t, v.Where, "%s held: nothing to locate", v.Name)
	}
}

func verdictOf(t *testing.T, vs []summary.Verdict, name string) summary.Verdict {
	t.Helper()
	for _, v := range vs {
		if v.Name == name {
			return v
		}
	}
	t.Fatalf("no verdict %s", name)
	return summary.Verdict{}
}

func fmtSecs(p *float64) string {
	if p == nil {
		return "none"
	}
	return fmt.Sprintf("%.3f", *p)
}

// The keys table and the rate verdict read their bounds from one place: an
// outage lowers the floor in both.
func TestKeyStatsBoundsAreTheVerdicts(t *testing.T) {
	h := healthy()
	h.Faults = []history.Fault{{Kind: "broker-down", At: 3 * time.Minute, For: 70 * time.Second, StopsDispatch: true}}
	h.Dispatches = dispatchesAt(h, key1, time.Second, 31*time.Second, 61*time.Second, 91*time.Second, 121*time.Second, 151*time.Second,
		5*time.Minute, 6*time.Minute, 7*time.Minute, 8*time.Minute, 9*time.Minute)
	v := verdictOf(t, Check(h, Options{}), RateNearExpected)
	for _, k := range Summarize(h).Keys {
		if k.Key == key1 {
			assert.Contains(t, v.Detail+" ", fmt.Sprintf("expected [%d, %d]", k.ExpectedMin, k.ExpectedMax),
				"the tightest key is the one with the outage")
			lo, _ := Bounds(10*time.Minute, h.Throttle, h.MaxPollGap)
			assert.Less(t, k.ExpectedMin, lo, "the floor discounts the outage")
		}
	}
}
