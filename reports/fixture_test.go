package reports

import (
	"fmt"
	"time"

	"github.com/hbharness/hbharness/harness/history"
	"github.com/hbharness/hbharness/harness/verify"
	"github.com/hbharness/hbharness/summary"
)

// testSummary is a failing view-gate run: one expected failure, one
// unexpected, one not applicable.
func testSummary() summary.Summary {
	return summary.Summary{
		Scenario:       "broker-outage",
		Strategy:       "view-gate",
		TimeScale:      0.05,
		ModelDurationS: 600,
		Passed:         false,
		Invariants: []summary.Verdict{
			{Name: verify.AtMostOnePerWindow, Outcome: summary.Fail, Expected: summary.Pass, Passed: false, Detail: "key heartbeat:pipeline:2:project:1: gap 10.0s < 30s"},
			{Name: verify.RateNearExpected, Outcome: summary.Pass, Expected: summary.Pass, Passed: true, Detail: "all keys within bounds"},
			{Name: verify.LastSeenNeverStale, Outcome: summary.Fail, Expected: summary.Fail, Passed: true, Detail: "service 1 stale 95s at 4m25s"},
			{Name: verify.NeverOfflineWhilePolled, Outcome: summary.Pass, Expected: summary.Pass, Passed: true, Detail: ""},
			{Name: verify.RequestsSucceed, Outcome: summary.Pass, Expected: summary.Pass, Passed: true, Detail: "0 errors"},
			{Name: verify.ObserversAgree, Outcome: summary.NotApplicable, Expected: summary.Pass, Passed: true, Detail: "external target"},
		},
		Requests:         summary.Requests{Total: 12000, OK: 12000, RPSModel: 20, P50MS: 1.25, P99MS: 7.5},
		Keys:             testKeys(3),
		Services:         []summary.ServiceStats{{ID: 1, MaxStalenessS: 95, OfflineFlips: 1}, {ID: 2, MaxStalenessS: 31}},
		DispatchesTotal:  48,
		DBWritesTotal:    47,
		MaxStalenessS:    95,
		Faults:           []summary.Fault{{Kind: "broker-down", AtS: 180, ForS: 90}},
		StartedAt:        time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC),
		WallDurationS:    31.2,
		Target:           "in-process",
		FailurePolicy:    "fail-closed",
		Replicas:         2,
		ClockToleranceMS: 50,
		LoadGenerator:    summary.LoadGenerator{ScheduleLagP99MS: 0.8, LateSends: 3},
		Notes:            []string{"redis ran in-process"},
	}
}

// testKeys makes n keys, the i-th with i dispatches against bounds [18, 21].
func testKeys(n int) []summary.KeyStats {
	keys := make([]summary.KeyStats, n)
	for i := range keys {
		keys[i] = summary.KeyStats{Key: fmt.Sprintf("heartbeat:pipeline:%d:project:1", i+1), Dispatches: 19, ExpectedMin: 18, ExpectedMax: 21, MinGapS: 30.2, DBWrites: 19}
	}
	return keys
}

// testHistory is a 10-minute run of three keys, three services each, sampled
// every second. Key 1 stops dispatching during a 90 s broker outage, so its
// services go stale; key 2 dispatches once 10 s after another; key 3 is only
// polled for the first five minutes.
func testHistory() *history.History {
	h := &history.History{
		Duration:       10 * time.Minute,
		TimeScale:      0.05,
		Throttle:       30 * time.Second,
		OfflineAfter:   60 * time.Second,
		MaxPollGap:     6 * time.Second,
		Tolerance:      map[history.Clock]time.Duration{history.ClockRedis: 50 * time.Millisecond},
		SampleEvery:    time.Second,
		HaveDispatches: true,
		Faults:         []history.Fault{{Kind: "broker-down", At: 3 * time.Minute, For: 90 * time.Second}},
	}
	lastWrite := make(map[int64]time.Duration)
	for k := 1; k <= 3; k++ {
		key := fmt.Sprintf("heartbeat:pipeline:%d:project:1", k)
		activeTo := h.Duration
		if k == 3 {
			activeTo = 5 * time.Minute
		}
		var svcs []int64
		for s := range 3 {
			id := int64((k-1)*3 + s + 1)
			svcs = append(svcs, id)
			h.Services = append(h.Services, history.Service{ID: id, Key: key, Polled: []history.Interval{{From: 0, To: activeTo}}})
		}
		h.Keys = append(h.Keys, history.Key{Key: key, Services: svcs, Active: []history.Interval{{From: 0, To: activeTo}}})
		for at := time.Duration(k) * time.Second; at < activeTo; at += 30*time.Second + 200*time.Millisecond {
			if k == 1 && at >= h.Faults[0].At && at < h.Faults[0].At+h.Faults[0].For {
				continue
			}
			h.Dispatches = append(h.Dispatches, history.Dispatch{At: at, Key: key})
			h.Writes = append(h.Writes, history.Write{At: at + 20*time.Millisecond, Key: key, Services: svcs})
			if k == 2 && at > 2*time.Minute && at < 2*time.Minute+31*time.Second {
				h.Dispatches = append(h.Dispatches, history.Dispatch{At: at + 10*time.Second, Key: key, Replica: 1})
			}
		}
	}
	for t := time.Duration(0); t <= h.Duration; t += h.SampleEvery {
		for _, w := range h.Writes {
			if w.At <= t {
				for _, id := range w.Services {
					lastWrite[id] = max(lastWrite[id], w.At+1) // +1 marks "written"
				}
			}
		}
		for _, svc := range h.Services {
			st := time.Duration(-1)
			if lw, ok := lastWrite[svc.ID]; ok {
				st = t - (lw - 1)
			}
			h.Samples = append(h.Samples, history.Sample{At: t, ServiceID: svc.ID, Staleness: max(st, 0), Null: st < 0,
				Live: st >= 0 && st < h.OfflineAfter})
		}
	}
	h.Requests = history.Requests{RequestCounts: history.RequestCounts{Total: 12000, OK: 11980, Status5xx: 20},
		P50: 1250 * time.Microsecond, P99: 7500 * time.Microsecond, Timeline: testTimeline(h.Duration, h.Faults[0].At)}
	h.Requests.ByEndpoint = map[string]history.RequestCounts{}
	for _, w := range h.Requests.Timeline {
		for ep, c := range w.ByEndpoint {
			h.Requests.ByEndpoint[ep] = h.Requests.ByEndpoint[ep].Add(c)
		}
	}
	return h
}

// testTimeline is 20 req/s over 2 s windows, half to /tasks and half to
// /result; for the first 10 s of the outage, which starts at fault, 4 of
// each window's /tasks get a 503 and the p99 climbs from 7.5 ms to 250 ms.
func testTimeline(d, fault time.Duration) []history.RequestWindow {
	const every = 2 * time.Second
	var out []history.RequestWindow
	for from := time.Duration(0); from < d; from += every {
		tasks := history.RequestCounts{Total: 20, OK: 20}
		p99 := 7500 * time.Microsecond
		if from >= fault && from < fault+10*time.Second {
			tasks = history.RequestCounts{Total: 20, OK: 16, Status5xx: 4}
			p99 = 250 * time.Millisecond
		}
		out = append(out, history.RequestWindow{From: from, Every: every, P50: 1250 * time.Microsecond, P99: p99, Max: p99 + time.Millisecond,
			ByEndpoint: map[string]history.RequestCounts{"tasks": tasks, "result": {Total: 20, OK: 20}}})
	}
	return out
}
