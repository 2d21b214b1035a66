package runner

import (
	"time"

	"github.com/hbharness/hbharness/faults"
	"github.com/hbharness/hbharness/harness/history"
	"github.com/hbharness/hbharness/harness/verify"
	"github.com/hbharness/hbharness/summary"
)

// Summary turns the run's record into summary.json
// (docs/design.md#summaryjson). It computes the figures that explain the
// verdicts with the verifier's own rules, and judges nothing itself.
func (r *Result) Summary() summary.Summary {
	h := r.History
	st := verify.Summarize(*h)
	s := summary.Summary{
		Schema: summary.Schema, Scenario: r.Scenario, Strategy: r.Strategy, Label: r.Label, TimeScale: float64(r.TimeScale),
		ModelDurationS: h.Duration.Seconds(), Invariants: r.Verdicts, Passed: r.Passed(),
		DispatchesTotal: st.DispatchesTotal, DBWritesTotal: st.DBWritesTotal, MaxStalenessS: st.MaxStaleness.Seconds(),
		MaxAgeSinceWriteS: st.MaxAgeSinceWrite.Seconds(),
		Interrupted:       r.Interrupted, StartedAt: r.StartedAt, WallDurationS: r.Wall.Seconds(), Target: r.Target,
		FailurePolicy: r.FailurePolicy, Replicas: r.Replicas, Tolerances: map[string]float64{},
		Observation: string(h.Observation), DetectionLimitS: h.DetectionLimit.Seconds(), Unusable: r.Unusable,
		Keys: []summary.KeyStats{}, Services: []summary.ServiceStats{}, Faults: []summary.Fault{}, Notes: []string{},
	}
	if l := h.Locks; l != nil {
		s.DatabaseLocks = &summary.DatabaseLocks{Samples: l.Samples, Errors: l.Errors, MaxWaiting: l.MaxWaiting,
			WaitingBackendS: l.WaitingS, Deadlocks: l.Deadlocks, SampleEveryS: l.Every.Seconds()}
	}
	if v := h.Views; v != nil {
		s.Views = &summary.Views{ByRoute: map[string]summary.ViewTimes{}, Refused: v.Refused}
		for route, t := range v.ByRoute {
			s.Views.ByRoute[route] = summary.ViewTimes{Count: t.Count, MeanS: t.Mean.Seconds(), MaxS: t.Max.Seconds()}
		}
	}
	s.Unobserved = []summary.Unobserved{}
	for _, g := range h.Unobserved {
		s.Unobserved = append(s.Unobserved, summary.Unobserved{Observer: g.Observer, FromS: g.From.Seconds(), ToS: g.To.Seconds(), Reason: g.Reason})
	}
	for c, t := range h.Tolerance {
		s.Tolerances[string(c)] = millis(t)
	}
	s.ClockToleranceMS = s.Tolerances[string(history.ClockRedis)]
	if !h.HaveDispatches {
		s.ClockToleranceMS = s.Tolerances[string(history.ClockPostgres)]
	}
	s.Requests = summary.Requests{Total: h.Requests.Total, OK: h.Requests.OK, Errors: h.Requests.Errors(),
		P50MS: millis(h.Requests.P50), P99MS: millis(h.Requests.P99), ByEndpoint: map[string]summary.RequestClasses{}}
	for ep, c := range h.Requests.ByEndpoint {
		s.Requests.ByEndpoint[ep] = summary.RequestClasses(c)
	}
	if h.Duration > 0 {
		s.Requests.RPSModel = float64(h.Requests.Total) / h.Duration.Seconds()
	}
	for _, k := range st.Keys {
		s.Keys = append(s.Keys, summary.KeyStats{Key: k.Key, Dispatches: k.Dispatches, ExpectedMin: k.ExpectedMin,
			ExpectedMax: k.ExpectedMax, MinGapS: k.MinGap.Seconds(), DBWrites: k.DBWrites})
	}
	for _, sv := range st.Services {
		ss := summary.ServiceStats{ID: sv.ID, MaxStalenessS: sv.MaxStaleness.Seconds(), MaxAgeSinceWriteS: sv.MaxAgeSinceWrite.Seconds(), OfflineFlips: sv.OfflineFlips,
			FalseLiveS: sv.FalseLive.Seconds(), Stopped: sv.Stopped}
		if sv.Detected {
			ss.TimeToOfflineS = secondsPtr(sv.TimeToOffline)
		}
		if sv.Stopped {
			ss.TimeToOfflineBoundS, ss.HeartbeatLagS = secondsPtr(sv.TimeToOfflineBound), secondsPtr(sv.HeartbeatLag)
		}
		s.Services = append(s.Services, ss)
	}
	lv := st.Liveness
	s.Liveness = summary.Liveness{Stopped: lv.Stopped, Detected: lv.Detected, FalseLiveS: lv.FalseLive.Seconds(),
		BoundsS: [2]float64{lv.BoundLo.Seconds(), lv.BoundHi.Seconds()}}
	if lv.Detected > 0 {
		s.Liveness.TimeToOfflineMaxS, s.Liveness.TimeToOfflineP50S = secondsPtr(lv.TimeToOfflineMax), secondsPtr(lv.TimeToOfflineP50)
	}
	if ck := lv.Checker; ck.Known {
		s.Liveness.Checks = &summary.CheckCounts{Sent: ck.Sent, Ran: ck.Ran, Dropped: ck.Dropped, Failed: ck.Failed, Unsent: ck.Unsent,
			Queued: ck.Queued + ck.Late}
		s.Liveness.CheckerQueueWaitMaxS, s.Liveness.CheckerGapMaxS = secondsPtr(ck.MaxWait), secondsPtr(ck.MaxGap)
		if ck.Dropped > 0 {
			s.Liveness.CheckerDropWaitMaxS = secondsPtr(ck.MaxDropWait)
		}
	}
	s.Liveness.TimeToOfflineNote = lv.Unmeasured
	for _, fs := range verify.Faults(*h) {
		f := fs.Fault
		out := summary.Fault{Kind: f.Kind, AtS: f.At.Seconds(), ForS: f.For.Seconds(), Planned: f.Planned, RecoveryBoundS: fs.Bound.Seconds(),
			During: summary.During{Dispatches: fs.Dispatches, DBWrites: fs.Writes, WorstStalenessS: fs.WorstStaleness.Seconds(),
				Errors: map[string]int64{}}}
		if fs.Recovered {
			out.RecoveryS = secondsPtr(fs.Took)
		}
		faultRequests(h, f, &out.During)
		s.Faults = append(s.Faults, out)
	}
	s.FaultSchedule = append([]faults.Fault{}, r.PlannedFaults...)
	s.Seed, s.Source = r.Seed, r.Source
	if r.Sim != nil {
		s.Mode, s.Sim = "sim", r.Sim
	}
	s.ThrottleS = h.Throttle.Seconds()
	lg := r.Load
	s.LoadGenerator = summary.LoadGenerator{ScheduleLagP99MS: millis(lg.ScheduleLagP99), LateSends: lg.Late,
		DroppedSends: lg.Dropped, Saturated: lg.Saturated}
	s.Notes = append(s.Notes, r.Notes...)
	if r.Interrupted {
		s.Notes = append(s.Notes, "interrupted: verdicts cover only the part of the run that happened")
	}
	if lg.Saturated {
		s.Notes = append(s.Notes, "LOAD GENERATOR SATURATED: "+lg.SaturatedReason)
	}
	if r.Unusable != "" {
		s.Notes = append(s.Notes, "UNUSABLE: "+r.Unusable)
	}
	return s
}

func millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func secondsPtr(d time.Duration) *float64 {
	v := d.Seconds()
	return &v
}

// faultRequests adds the requests sent while the fault lasted: exactly, from the
// span the runner summed; else from the timeline's windows, p99 then the
// worst window's (percentiles of windows cannot be combined).
func faultRequests(h *history.History, f history.Fault, d *summary.During) {
	if w := f.Requests; w != nil {
		for ep, c := range w.ByEndpoint {
			if n := c.Errors(); n > 0 {
				d.Errors[ep] += n
			}
		}
		d.P99MS = millis(w.P99)
		return
	}
	var p99 time.Duration
	for _, w := range h.Requests.Timeline {
		if w.From+w.Every <= f.At || w.From >= f.At+f.For {
			continue
		}
		for ep, c := range w.ByEndpoint {
			if n := c.Errors(); n > 0 {
				d.Errors[ep] += n
			}
		}
		p99 = max(p99, w.P99)
	}
	d.P99MS = millis(p99)
}
