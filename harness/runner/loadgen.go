package runner

import (
	"github.com/hbharness/hbharness/harness/history"
	"github.com/hbharness/hbharness/harness/latency"
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

// loadGenerator says whether the fleet and the attacks kept their schedules.
func loadGenerator(obs *observed, tolerance float64) LoadGenerator {
	var lg LoadGenerator
	if f := obs.fleet; f != nil {
		lg.ScheduleLagP99, lg.Late, lg.Dropped = f.Lag.P99, int64(f.Lag.Late), int64(f.Lag.Dropped)
		lg.Saturated, lg.SaturatedReason = f.Saturated(tolerance)
	}
	if a := obs.attack; a != nil {
		for _, s := range a.Attacks {
			lg.Late += int64(s.Lag.Late)
			lg.Dropped += int64(s.Lag.Dropped)
			lg.ScheduleLagP99 = max(lg.ScheduleLagP99, s.Lag.P99)
		}
		if !lg.Saturated {
			lg.Saturated, lg.SaturatedReason = a.Saturated()
		}
	}
	if !lg.Saturated {
		lg.SaturatedReason = ""
	}
	return lg
}
