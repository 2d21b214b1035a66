package observe

import (
	"context"
	"slices"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hbharness/hbharness/harness/history"
)

// WriteObserver is how a run sees the target's heartbeat writes, one of
// three ways that differ in what they can see (docs/design.md#invariants):
// an audit trigger (Audit: every write, named by its dispatch, on a
// database the harness owns), logical decoding (Logical: every committed
// write, read-only, with a replication role) and sampling (Sampler: what a
// periodic read happens to catch, on any database).
type WriteObserver interface {
	// Observation names the way, for the history and the reports.
	Observation() history.Observation
	// DetectionLimit is how close (model time) two writes may be and still
	// be told apart; 0 when every write is seen.
	DetectionLimit() time.Duration
	// Seen ends the watch and returns the writes made from start on, by
	// their time on this process's clock. Call it once the load is over.
	Seen(ctx context.Context, start time.Time) ([]Write, error)
	// Gaps are the stretches it was blind: writes in them are unknown, not
	// absent.
	Gaps() []Gap
}

// Write is one transaction that wrote last_seen, as a WriteObserver saw it.
type Write struct {
	// At is when it was made, by the database's clock with its offset from
	// this process's removed (a sampled write: when it was first seen, at
	// the latest).
	At       time.Time
	Services []int64 // sorted
	TxID     int64   // 0: not known
	// DispatchID names the dispatch that made it; "" when the writer did
	// not tag it or the observer cannot read tags.
	DispatchID string
	// Stamp is the last_seen value written, on the writer's clock (zero:
	// not read), so that Stamp - At is how far that clock runs ahead.
	Stamp time.Time
}

// Audit is the WriteObserver of a database the harness created: a trigger
// records every write (InstallAudit), which Seen reads back.
type Audit struct {
	Pool *pgxpool.Pool
	// Offset is the database's clock minus this process's (ClockOffset).
	Offset time.Duration
}

// Observation is history.ObservedByAudit.
func (a *Audit) Observation() history.Observation { return history.ObservedByAudit }

// DetectionLimit is 0: the trigger fires for every write.
func (a *Audit) DetectionLimit() time.Duration { return 0 }

// Gaps is none: the trigger is part of the writing transaction.
func (a *Audit) Gaps() []Gap { return nil }

// Seen reads the audit table. Every write in it is the run's own (the
// database is the run's), so start does not filter them.
func (a *Audit) Seen(ctx context.Context, _ time.Time) ([]Write, error) {
	audited, err := ReadAudit(ctx, a.Pool)
	if err != nil {
		return nil, err
	}
	out := make([]Write, len(audited))
	for i, w := range audited {
		out[i] = Write{At: w.At.Add(-a.Offset), Services: w.Services, TxID: w.TxID, DispatchID: w.DispatchID}
		if !w.LastSeen.IsZero() {
			out[i].Stamp = w.LastSeen.Add(-a.Offset)
		}
	}
	return out, nil
}

// Observation is history.ObservedByLogicalDecoding.
func (l *Logical) Observation() history.Observation { return history.ObservedByLogicalDecoding }

// DetectionLimit is 0: every committed write is decoded.
func (l *Logical) DetectionLimit() time.Duration { return 0 }

// Seen stops the stream (Stop) and turns its committed row changes into
// writes: one per transaction that changed last_seen, at its commit time.
// Offline-checker flips change only last_seen_live and are not writes.
func (l *Logical) Seen(ctx context.Context, start time.Time) ([]Write, error) {
	changes, err := l.Stop(ctx)
	if err != nil {
		return nil, err
	}
	var out []Write
	byTx := map[uint32]int{}
	for _, c := range changes {
		if !c.LastSeenChanged {
			continue // a flip of last_seen_live: the checker, not a heartbeat
		}
		at := c.CommitTime.Add(-l.Offset)
		if at.Before(start) {
			continue
		}
		i, ok := byTx[c.XID]
		if !ok {
			i = len(out)
			byTx[c.XID] = i
			out = append(out, Write{At: at, TxID: int64(c.XID)})
			if c.LastSeen != nil {
				out[len(out)-1].Stamp = c.LastSeen.Add(-l.Offset)
			}
		}
		out[i].Services = append(out[i].Services, c.ServiceID)
	}
	for i := range out {
		slices.Sort(out[i].Services)
	}
	return out, nil
}

// Observation is history.ObservedBySampling.
func (s *Sampler) Observation() history.Observation { return history.ObservedBySampling }

// DetectionLimit is the sampling period: writes closer than that apart
// are seen as one.
func (s *Sampler) DetectionLimit() time.Duration { return s.Period }

// Seen returns the writing transactions the sampler caught from start on;
// the sampler stops with the run's context, not here.
func (s *Sampler) Seen(_ context.Context, start time.Time) ([]Write, error) {
	var out []Write
	for _, w := range s.Writes() {
		if w.At.Before(start) {
			continue // before the run: the harness's own job listing's heartbeat
		}
		out = append(out, Write{At: w.At, Services: w.Services, Stamp: w.Stamp})
	}
	return out, nil
}
