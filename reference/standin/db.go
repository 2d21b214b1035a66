package standin

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/hbharness/hbharness/reference/contract"
	"github.com/hbharness/hbharness/reference/heartbeat"
	"github.com/hbharness/hbharness/reference/store"
)

// DB is the service table (ml_processingservice) and the relations a
// heartbeat's WHERE clause reads. Each statement takes Update; a row
// another statement is writing is locked until that statement commits, so
// a write to it starts only then (row locks as service-time queues, in the
// order the statements arrive). A row keeps its previous value until a
// write commits, so a read between the call and the commit (the sampler,
// the offline check) sees what Postgres would.
type DB struct {
	clock  Clock
	rng    *rand.Rand
	update Latency

	rows      []row
	index     map[int64]int // service id -> rows
	byKey     map[[2]int64][]int
	byProject map[int64][]int
	bySlug    map[string][]int
	// Writes is every committed heartbeat write, in call order; the
	// simulation's observer reads it as the audit trigger's log.
	Writes []Write
	// Down makes every statement fail, as a database that refuses connections.
	Down bool
}

// ErrDBDown is a statement against a database the simulation has taken away.
var ErrDBDown = errors.New("simulated database refused the connection")

type row struct {
	id int64
	// versions are the values its writes left, by commit, oldest first:
	// the one committed last before an instant is what a read then sees.
	// Versions no read can reach any more (older than the latest committed
	// at the running event's instant) are dropped as writes come.
	versions []version
	lockedTo time.Time // the last writer's commit: a later write waits for it
}

type version struct {
	value
	commit time.Time
}

// value is one row's heartbeat columns.
type value struct {
	lastSeen time.Time
	seen     bool // last_seen is not NULL
	live     bool
}

// Write is one committed statement: the services it wrote and the
// dispatch that tagged it, as the audit trigger records them.
type Write struct {
	At         time.Time // commit
	Stamp      time.Time // the last_seen written
	Services   []int64
	DispatchID string
	Key        string
}

// NewDB returns the rows of keys' services, never seen, each statement
// taking update.
func NewDB(clock Clock, rng *rand.Rand, update Latency, keys []contract.Key) *DB {
	d := &DB{clock: clock, rng: rng, update: update, index: map[int64]int{},
		byKey: map[[2]int64][]int{}, byProject: map[int64][]int{}, bySlug: map[string][]int{}}
	for _, k := range keys {
		for _, id := range k.Services {
			i, ok := d.index[id]
			if !ok {
				i = len(d.rows)
				d.index[id] = i
				d.rows = append(d.rows, row{id: id})
			}
			d.byKey[[2]int64{k.PipelineID, k.ProjectID}] = append(d.byKey[[2]int64{k.PipelineID, k.ProjectID}], i)
			d.byProject[k.ProjectID] = append(d.byProject[k.ProjectID], i)
			d.bySlug[k.Slug] = append(d.bySlug[k.Slug], i)
		}
	}
	return d
}

// rowsOf is what a target's WHERE clause selects (store.targetCond).
func (d *DB) rowsOf(t heartbeat.Target) ([]int, error) {
	switch t.Kind {
	case heartbeat.KindJob:
		return d.byKey[[2]int64{t.PipelineID, t.ProjectID}], nil
	case heartbeat.KindProject:
		return d.byProject[t.ProjectID], nil
	case heartbeat.KindService:
		if i, ok := d.index[t.ServiceID]; ok {
			return []int{i}, nil
		}
		return nil, nil
	case heartbeat.KindPipelines:
		var out []int
		seen := map[int]bool{}
		for _, s := range t.Slugs {
			for _, i := range d.bySlug[s] {
				if !seen[i] {
					seen[i] = true
					out = append(out, i)
				}
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("heartbeat target of unknown kind %q", t.Kind)
}

// rowsFor is rowsOf for a statement, or the error a database the
// simulation has taken away gives it; doing says what the statement does,
// %s standing for the target's key.
func (d *DB) rowsFor(t heartbeat.Target, doing string) ([]int, error) {
	if d.Down {
		return nil, fmt.Errorf("%s: %w", fmt.Sprintf(doing, t.GateKey()), ErrDBDown)
	}
	return d.rowsOf(t)
}

// read is a row as a statement starting at `at` sees it.
func (r *row) read(at time.Time) value {
	for i := len(r.versions) - 1; i >= 0; i-- {
		if !r.versions[i].commit.After(at) {
			return r.versions[i].value
		}
	}
	return value{}
}

// put adds the value v committed at commit, dropping versions that no read
// from now on can see.
func (r *row) put(v value, commit, now time.Time) {
	keep := 0
	for i, old := range r.versions {
		if !old.commit.After(now) {
			keep = i
		}
	}
	r.versions = append(r.versions[keep:], version{value: v, commit: commit})
	r.lockedTo = commit
}

// write runs one UPDATE of rows: it starts once every row's last writer has
// committed, takes one draw of Update, and commits. The caller's clock
// spends the wait and the statement.
func (d *DB) write(rows []int, stamp time.Time, tag store.Tag) int64 {
	start := d.clock.Now()
	for _, i := range rows {
		if l := d.rows[i].lockedTo; l.After(start) {
			start = l
		}
	}
	commit := start.Add(d.update.Draw(d.rng))
	ids := make([]int64, len(rows))
	now := d.clock.Now()
	for n, i := range rows {
		d.rows[i].put(value{lastSeen: stamp, seen: true, live: true}, commit, now)
		ids[n] = d.rows[i].id
	}
	d.clock.Spend(commit.Sub(d.clock.Now()))
	if len(rows) > 0 {
		d.Writes = append(d.Writes, Write{At: commit, Stamp: stamp, Services: ids, DispatchID: tag.DispatchID, Key: tag.Key})
	}
	return int64(len(rows))
}

// MarkSeen implements store.Heartbeats.
func (d *DB) MarkSeen(_ context.Context, t heartbeat.Target, now time.Time, tag store.Tag) (int64, error) {
	rows, err := d.rowsFor(t, "marking %s seen")
	if err != nil {
		return 0, err
	}
	return d.write(rows, now, tag), nil
}

// MarkSeenIfStale implements store.Heartbeats: a read, then the UPDATE
// when any row is older than the window.
func (d *DB) MarkSeenIfStale(ctx context.Context, t heartbeat.Target, now time.Time, window time.Duration, tag store.Tag) (int64, error) {
	rows, err := d.rowsFor(t, "reading freshness of %s")
	if err != nil {
		return 0, err
	}
	d.clock.Spend(d.update.Draw(d.rng))
	at, cutoff := d.clock.Now(), now.Add(-window)
	stale := false
	for _, i := range rows {
		if v := d.rows[i].read(at); !v.seen || v.lastSeen.Before(cutoff) {
			stale = true
			break
		}
	}
	if !stale {
		return 0, nil
	}
	return d.MarkSeen(ctx, t, now, tag)
}

// MarkStaleSkipLocked implements store.Heartbeats: rows older than the
// window, less those another statement is writing now.
func (d *DB) MarkStaleSkipLocked(_ context.Context, t heartbeat.Target, now time.Time, window time.Duration, tag store.Tag) (int64, error) {
	rows, err := d.rowsFor(t, "marking stale rows of %s seen")
	if err != nil {
		return 0, err
	}
	at, cutoff := d.clock.Now(), now.Add(-window)
	var pick []int
	for _, i := range rows {
		r := &d.rows[i]
		if r.lockedTo.After(at) {
			continue // SKIP LOCKED
		}
		if v := r.read(at); !v.seen || v.lastSeen.Before(cutoff) {
			pick = append(pick, i)
		}
	}
	if len(pick) == 0 {
		d.clock.Spend(d.update.Draw(d.rng))
		return 0, nil
	}
	return d.write(pick, now, tag), nil
}

// MarkServiceSeen implements store.Heartbeats: one service's row.
func (d *DB) MarkServiceSeen(ctx context.Context, id int64, now time.Time, tag store.Tag) (int64, error) {
	return d.MarkSeen(ctx, heartbeat.ServiceTarget(id), now, tag)
}

// Atomically implements store.Writer. A statement here either commits or
// fails whole, so the transaction adds nothing to model.
func (d *DB) Atomically(_ context.Context, fn func(store.Heartbeats) error) error { return fn(d) }

// MarkStaleOffline implements checker.Marker: every live row seen before
// cutoff is flipped not live. Like Postgres under READ COMMITTED it waits
// for a row's writer to commit and reads the row again, so a service just
// made fresh is not flipped.
func (d *DB) MarkStaleOffline(_ context.Context, cutoff time.Time) ([]int64, error) {
	if d.Down {
		return nil, fmt.Errorf("marking services last seen before %s offline: %w", cutoff.Format(time.RFC3339Nano), ErrDBDown)
	}
	start := d.clock.Now()
	var pick []int
	for i := range d.rows {
		r := &d.rows[i]
		if v := r.read(start); v.live && v.seen && v.lastSeen.Before(cutoff) {
			pick = append(pick, i)
			if r.lockedTo.After(start) {
				start = r.lockedTo
			}
		}
	}
	commit := start.Add(d.update.Draw(d.rng))
	var ids []int64
	for _, i := range pick {
		r := &d.rows[i]
		v := r.read(start)
		if !v.live || !v.seen || !v.lastSeen.Before(cutoff) {
			continue
		}
		v.live = false
		r.put(v, commit, d.clock.Now())
		ids = append(ids, r.id)
	}
	d.clock.Spend(commit.Sub(d.clock.Now()))
	return ids, nil
}

// Row is one service as a reader sees it at an instant.
type Row struct {
	ID       int64
	LastSeen time.Time
	Seen     bool // last_seen is not NULL
	Live     bool
}

// Read visits every row as it stands at `at`, in the order the keys listed them.
func (d *DB) Read(at time.Time, visit func(Row)) {
	for i := range d.rows {
		r := &d.rows[i]
		v := r.read(at)
		visit(Row{ID: r.id, LastSeen: v.lastSeen, Seen: v.seen, Live: v.live})
	}
}
