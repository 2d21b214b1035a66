package runner

import (
	"fmt"

	"github.com/hbharness/hbharness/harness/history"
	"github.com/hbharness/hbharness/harness/latency"
)

// requestTotals adds the fleet's and the attacks' requests, by endpoint.
// Percentiles of two histograms cannot be added, so p50 is the busier
// source's and p99 and max the worse of the two: never better than the truth.
func requestTotals(obs *observed) (history.Requests, *latency.Timeline, error) {
	r := history.Requests{ByEndpoint: map[string]history.RequestCounts{}}
	var busiest uint64
	add := func(ep string, p latency.RequestStats) {
		r.ByEndpoint[ep] = r.ByEndpoint[ep].Add(counts(p))
	}
	var parts []latency.RequestStats
	if f := obs.fleet; f != nil {
		parts = append(parts, f.Requests)
		for ep, p := range f.PerEndpoint {
			if p.Total > 0 {
				add(ep, p)
			}
		}
	}
	if a := obs.attack; a != nil {
		parts = append(parts, a.Requests)
		for _, s := range a.Attacks {
			add(s.Endpoint, s.Requests)
		}
	}
	merged, err := timeline(obs)
	if err != nil {
		return r, nil, err
	}
	if merged != nil {
		r.Timeline = merged.Windows()
	}
	for _, p := range parts {
		r.RequestCounts = r.RequestCounts.Add(counts(p))
		if p.Total > busiest {
			busiest, r.P50 = p.Total, p.P50
		}
		r.P99 = max(r.P99, p.P99)
		r.Max = max(r.Max, p.Max)
	}
	return r, merged, nil
}

// timeline merges the fleet's and the attacks' request timelines, exactly:
// both hold counts and histograms per window, not percentiles.
func timeline(obs *observed) (*latency.Timeline, error) {
	var t *latency.Timeline
	for _, o := range []*latency.Timeline{fleetTimeline(obs), attackTimeline(obs)} {
		switch {
		case o == nil:
		case t == nil:
			t = o
		default:
			// Both are built on the run's one window width, so they divide.
			if err := t.Merge(o); err != nil {
				return nil, fmt.Errorf("merging the fleet's and the attacks' request timelines: %w", err)
			}
		}
	}
	return t, nil
}

func fleetTimeline(obs *observed) *latency.Timeline {
	if obs.fleet == nil {
		return nil
	}
	return obs.fleet.TimelineRecorder
}

func attackTimeline(obs *observed) *latency.Timeline {
	if obs.attack == nil {
		return nil
	}
	return obs.attack.TimelineRecorder
}

func counts(p latency.RequestStats) history.RequestCounts {
	return history.RequestCounts{Total: int64(p.Total), OK: int64(p.OK), Transport: int64(p.Transport),
		Status3xx: int64(p.Status3xx), Status4xx: int64(p.Status4xx), Status5xx: int64(p.Status5xx),
		Malformed: int64(p.Malformed), Other: int64(p.Other)}
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
