package runner

import (
	"time"

	"github.com/hbharness/hbharness/harness/history"
	"github.com/hbharness/hbharness/harness/latency"
	"github.com/hbharness/hbharness/harness/verify"
	"github.com/hbharness/hbharness/reports"
	"github.com/hbharness/hbharness/scenarios"
)

// requestTotals adds the fleet's and the attacks' requests. Percentiles of
// two histograms cannot be added, so p50 is the busier source's and p99 and
// max the worse of the two: never better than the truth.
func requestTotals(obs *observed) history.Requests {
	var parts []latency.RequestStats
	if obs.fleet != nil {
		parts = append(parts, obs.fleet.Requests)
	}
	if obs.attack != nil {
		parts = append(parts, obs.attack.Requests)
	}
	var r history.Requests
	var busiest uint64
	for _, p := range parts {
		r.Total += int64(p.Total)
		r.OK += int64(p.OK)
		r.Transport += int64(p.Transport)
		r.Status5xx += int64(p.Status5xx)
		r.Status4xx += int64(p.Status4xx)
		if p.Total > busiest {
			busiest, r.P50 = p.Total, p.P50
		}
		r.P99 = max(r.P99, p.P99)
		r.Max = max(r.Max, p.Max)
	}
	r.Errors = r.Transport + r.Status5xx
	return r
}

func seconds(d time.Duration) float64 { return d.Seconds() }
func millis(d time.Duration) float64  { return float64(d) / float64(time.Millisecond) }

// summarize turns a judged history into summary.json (§9).
func summarize(spec *scenarios.Spec, h *history.History, verdicts []verify.Verdict, obs *observed, target string, wall time.Duration) reports.Summary {
	st := verify.Summarize(*h)
	s := reports.Summary{
		Schema: reports.Schema, Scenario: spec.Name, Strategy: spec.Strategy, TimeScale: spec.TimeScale,
		ModelDurationS: seconds(h.Duration), Invariants: verdicts,
		Passed:          verify.Passed(verdicts) && !obs.interrupted,
		DispatchesTotal: st.DispatchesTotal, DBWritesTotal: st.DBWritesTotal, MaxStalenessS: seconds(st.MaxStaleness),
		Interrupted: obs.interrupted, StartedAt: obs.start, WallDurationS: wall.Seconds(), Target: target,
		FailurePolicy: spec.FailurePolicy, Replicas: spec.Replicas, ClockToleranceMS: millis(h.ClockTolerance),
		Keys: []reports.KeyStats{}, Services: []reports.ServiceStats{}, Faults: []reports.Fault{}, Notes: []string{},
	}
	s.Requests = reports.Requests{Total: h.Requests.Total, OK: h.Requests.OK, Errors: h.Requests.Errors,
		P50MS: millis(h.Requests.P50), P99MS: millis(h.Requests.P99)}
	if h.Duration > 0 {
		s.Requests.RPSModel = float64(h.Requests.Total) / h.Duration.Seconds()
	}
	for _, k := range st.Keys {
		s.Keys = append(s.Keys, reports.KeyStats{Key: k.Key, Dispatches: k.Dispatches, ExpectedMin: k.ExpectedMin,
			ExpectedMax: k.ExpectedMax, MinGapS: seconds(k.MinGap), DBWrites: k.DBWrites})
	}
	for _, sv := range st.Services {
		s.Services = append(s.Services, reports.ServiceStats{ID: sv.ID, MaxStalenessS: seconds(sv.MaxStaleness), OfflineFlips: sv.OfflineFlips})
	}
	for _, f := range h.Faults {
		s.Faults = append(s.Faults, reports.Fault{Kind: f.Kind, AtS: seconds(f.At), ForS: seconds(f.For)})
	}
	if obs.fleet != nil {
		lag := obs.fleet.Lag
		s.LoadGenerator = reports.LoadGenerator{ScheduleLagP99MS: millis(lag.P99), LateSends: int64(lag.Late), DroppedSends: int64(lag.Dropped)}
	}
	if obs.attack != nil {
		for _, a := range obs.attack.Attacks {
			s.LoadGenerator.LateSends += int64(a.Lag.Late)
			s.LoadGenerator.DroppedSends += int64(a.Lag.Dropped)
			s.LoadGenerator.ScheduleLagP99MS = max(s.LoadGenerator.ScheduleLagP99MS, millis(a.Lag.P99))
		}
	}
	if obs.interrupted {
		s.Notes = append(s.Notes, "interrupted: verdicts cover only the part of the run that happened")
	}
	return s
}

// saturation says whether the load generator kept its schedule.
func saturation(obs *observed, tolerance float64) (bool, string) {
	if obs.fleet != nil {
		if sat, why := obs.fleet.Saturated(tolerance); sat {
			return true, why
		}
	}
	if obs.attack != nil {
		if behind, why := obs.attack.Behind(); behind {
			return true, why
		}
	}
	return false, ""
}
