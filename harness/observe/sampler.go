package observe

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hbharness/hbharness/harness/history"
	"github.com/hbharness/hbharness/internal/modeltime"
)

// Sampler reads every async service row at a fixed period. It needs only
// SELECT, so it works on a deployment's database too. Besides staleness it
// notes each row's xmin: a new xmin with a new last_seen is a heartbeat write
// it saw, which lets writes be counted without a trigger.
type Sampler struct {
	Pool  *pgxpool.Pool
	Every time.Duration // wall
	// Period is Every in model time: how close two writes may be and still
	// be told apart (DetectionLimit).
	Period time.Duration
	// Anchor is the run's model clock: samples are stamped with Anchor.Since.
	Anchor modeltime.Run
	// Offset is the database's clock minus this process's (ClockOffset):
	// a sample is taken at the database's clock_timestamp().
	Offset time.Duration
	// Zone is the zone a naive last_seen (Antenna's) is local to; nil reads
	// it as UTC. A last_seen with a time zone needs none.
	Zone *time.Location
	Log  *slog.Logger

	mu      sync.Mutex
	samples []history.Sample
	last    map[int64]rowState
	seen    map[string]*SeenWrite // by xmin
	updates int64                 // row versions seen (writes and offline flips)
	reads   int64
	errors  int
	// lastGood is when the last read succeeded; open is the gap a failed
	// read opened, closed by the next good one.
	lastGood time.Time
	open     *Gap
	gaps     []Gap
	// beating are the rows heartbeated since the first read; worst is the
	// largest staleness sampled on one of them after its first heartbeat.
	beating map[int64]bool
	worst   time.Duration
	// naive says last_seen has no time zone; asked once, on the first read.
	naive *bool
}

type rowState struct {
	xmin     uint32
	lastSeen time.Time
	null     bool
}

// SeenWrite is one writing transaction the sampler caught.
type SeenWrite struct {
	At       time.Time
	Services []int64
	// Stamp is the last_seen value written, on the writer's clock. At is
	// Stamp, unless Stamp lies past the sample that first saw the write,
	// which no correct writer's can: then At is that sample's time (the
	// database's clock), and Stamp - At how far the writer's clock is ahead.
	Stamp time.Time
}

// Baseline records every row's current version without taking a sample, so
// that a write landing before the first sample is still seen as a write.
// Call it while nothing writes (before the load starts).
func (s *Sampler) Baseline(ctx context.Context) error {
	return s.read(ctx, false)
}

// Run samples until ctx ends, then takes one final sample.
func (s *Sampler) Run(ctx context.Context) {
	t := time.NewTicker(s.Every)
	defer t.Stop()
	for {
		s.Sample(ctx)
		select {
		case <-ctx.Done():
			s.Sample(context.WithoutCancel(ctx))
			return
		case <-t.C:
		}
	}
}

// Sample takes one sample now. A failed read opens a gap rather than
// recording anything; the pool replaces a lost connection on the next one.
func (s *Sampler) Sample(ctx context.Context) {
	if err := s.read(ctx, true); err != nil && ctx.Err() == nil {
		s.fail(err)
	}
}

func (s *Sampler) read(ctx context.Context, record bool) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if s.naive == nil {
		naive, err := lastSeenNaive(ctx, s.Pool)
		if err != nil {
			return err
		}
		s.naive = &naive
	}
	rows, err := s.Pool.Query(ctx, `SELECT id, xmin::text::bigint, last_seen, last_seen_live, clock_timestamp()
		FROM ml_processingservice WHERE endpoint_url IS NULL`)
	if err != nil {
		return err
	}
	defer rows.Close()
	type row struct {
		id       int64
		xmin     int64
		lastSeen *time.Time
		live     *bool
		now      time.Time
	}
	var batch []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.xmin, &r.lastSeen, &r.live, &r.now); err != nil {
			return err
		}
		if r.lastSeen != nil && *s.naive {
			t := inZone(*r.lastSeen, s.Zone)
			r.lastSeen = &t
		}
		batch = append(batch, r)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if record {
		s.reads++
	}
	s.lastGood = time.Now()
	if s.open != nil {
		s.open.To = s.lastGood
		s.gaps = append(s.gaps, *s.open)
		s.open = nil
		if s.Log != nil {
			s.Log.Info("database sampler back", "blind_for", s.lastGood.Sub(s.gaps[len(s.gaps)-1].From).Round(time.Millisecond))
		}
	}
	if s.last == nil {
		s.last = make(map[int64]rowState)
		s.seen = make(map[string]*SeenWrite)
	}
	for _, r := range batch {
		at := s.Anchor.Since(r.now.Add(-s.Offset))
		smp := history.Sample{At: at, ServiceID: r.id, Null: r.lastSeen == nil, LiveNull: r.live == nil}
		if r.live != nil {
			smp.Live = *r.live
		}
		st := rowState{xmin: uint32(r.xmin), null: r.lastSeen == nil}
		if r.lastSeen != nil {
			smp.Staleness = s.Anchor.Scale.Model(r.now.Sub(*r.lastSeen))
			st.lastSeen = *r.lastSeen
		}
		if record {
			s.samples = append(s.samples, smp)
		}
		prev, known := s.last[r.id]
		s.last[r.id] = st
		s.track(r.id, known && !st.null && (prev.null || !st.lastSeen.Equal(prev.lastSeen)), record && !smp.Null, smp.Fresh())
		if !known || prev.xmin == st.xmin {
			continue
		}
		s.updates++
		if st.null || (!prev.null && st.lastSeen.Equal(prev.lastSeen)) {
			continue // a flip of last_seen_live, not a heartbeat
		}
		key := fmt.Sprint(st.xmin)
		w := s.seen[key]
		if w == nil {
			w = &SeenWrite{At: st.lastSeen, Stamp: st.lastSeen}
			if seen := r.now.Add(-s.Offset); w.At.After(seen) {
				w.At = seen
			}
			s.seen[key] = w
		}
		w.Services = append(w.Services, r.id)
	}
	return nil
}

func (s *Sampler) fail(err error) {
	s.mu.Lock()
	s.errors++
	n := s.errors
	if s.open == nil {
		from := s.lastGood
		if from.IsZero() {
			from = time.Now()
		}
		s.open = &Gap{From: from, Reason: err.Error()}
	}
	s.mu.Unlock()
	if n <= 3 && s.Log != nil {
		s.Log.Warn("database sample failed", "err", err)
	}
}

// track notes, under s.mu, whether row id was just heartbeated, and the
// staleness a sample found on it once it had been.
func (s *Sampler) track(id int64, beat, sampled bool, staleness time.Duration) {
	if beat {
		if s.beating == nil {
			s.beating = make(map[int64]bool)
		}
		s.beating[id] = true
	}
	if sampled && s.beating[id] {
		s.worst = max(s.worst, staleness)
	}
}

// WorstStaleness is, for a live display, the largest staleness sampled so
// far on a row that has been heartbeated during the run (false: none
// has). It is not the verdict's figure: it also counts services whose
// workers have stopped, which the verdicts leave out.
func (s *Sampler) WorstStaleness() (time.Duration, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.worst, len(s.beating) > 0
}

// WritesSeen is how many writing transactions the sampler has caught so far.
func (s *Sampler) WritesSeen() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.seen)
}

// Gaps returns the stretches between a good read and the next after failed
// ones; one still open ends now.
func (s *Sampler) Gaps() []Gap {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := append([]Gap(nil), s.gaps...)
	if s.open != nil {
		g := *s.open
		g.To = time.Now()
		out = append(out, g)
	}
	return out
}

// Samples returns what was sampled, in time order.
func (s *Sampler) Samples() []history.Sample {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]history.Sample(nil), s.samples...)
}

// Writes returns the writing transactions the sampler caught, by time.
func (s *Sampler) Writes() []SeenWrite {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]SeenWrite, 0, len(s.seen))
	for _, w := range s.seen {
		cp := *w
		sort.Slice(cp.Services, func(i, j int) bool { return cp.Services[i] < cp.Services[j] })
		out = append(out, cp)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out
}

// RowUpdatesSeen is how many new row versions the sampler saw.
func (s *Sampler) RowUpdatesSeen() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.updates
}

// Reads is how many samples succeeded.
func (s *Sampler) Reads() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reads
}

// Errors is how many samples failed.
func (s *Sampler) Errors() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.errors
}
