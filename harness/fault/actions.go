package fault

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hbharness/hbharness/faults"
	"github.com/hbharness/hbharness/internal/modeltime"
)

// db-lock: a transaction on a connection of its own holds every async
// service row's lock for the fault's length, as a long migration or a stuck
// admin session would. Heartbeat UPDATEs queue behind it.
func buildDBLock(f faults.Fault, t Targets, _ modeltime.Scale) (Breaker, error) {
	if t.DB == "" {
		return nil, errors.New("needs a direct connection to the run's database, and the run has none (external targets are not written to)")
	}
	return &dbLock{dsn: t.DB}, nil
}

type dbLock struct {
	dsn  string
	conn *pgx.Conn
	tx   pgx.Tx
}

func (l *dbLock) Apply(ctx context.Context) error {
	conn, err := pgx.Connect(ctx, l.dsn)
	if err != nil {
		return fmt.Errorf("db-lock: connecting to the run's database: %w", err)
	}
	tx, err := conn.Begin(ctx)
	if err == nil {
		_, err = tx.Exec(ctx, `SELECT id FROM ml_processingservice WHERE endpoint_url IS NULL FOR UPDATE`)
	}
	if err != nil {
		_ = conn.Close(context.WithoutCancel(ctx))
		return fmt.Errorf("db-lock: locking the service rows: %w", err)
	}
	l.conn, l.tx = conn, tx
	return nil
}

// Lift rolls the locking transaction back: the rows are free from here.
func (l *dbLock) Lift(ctx context.Context) error {
	if err := l.tx.Rollback(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("db-lock: releasing the service rows: %w", err)
	}
	return nil
}

// Settle closes the connection that held the lock.
func (l *dbLock) Settle(ctx context.Context) error {
	if err := l.conn.Close(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("db-lock: closing the connection that held the lock: %w", err)
	}
	return nil
}

// evictEvery is how often (model time) redis-evict deletes the gate keys
// while it lasts: about a poll's spacing, so a key set between two
// evictions rarely survives to hold a window.
const evictEvery = time.Second

// redis-evict: while it lasts the run's gate keys vanish as fast as they are
// set, as under maxmemory pressure with a volatile eviction policy; a single
// instant eviction (a restart without persistence) is the same with a short
// for. Gates then let extra dispatches through; nothing goes stale.
func buildEvict(f faults.Fault, t Targets, scale modeltime.Scale) (Breaker, error) {
	if t.Keys == nil {
		return nil, errors.New("needs the run's Redis keys, and the run has none")
	}
	return &evict{keys: t.Keys, every: max(time.Millisecond, scale.Wall(evictEvery))}, nil
}

type evict struct {
	keys  Keys
	every time.Duration
	stop  context.CancelFunc
	done  chan struct{}
	mu    sync.Mutex
	err   error
}

func (e *evict) Apply(ctx context.Context) error {
	if _, err := e.keys.EvictGateKeys(ctx); err != nil {
		return fmt.Errorf("redis-evict: %w", err)
	}
	ectx, stop := context.WithCancel(context.WithoutCancel(ctx))
	e.stop, e.done = stop, make(chan struct{})
	go func() {
		defer close(e.done)
		t := time.NewTicker(e.every)
		defer t.Stop()
		for {
			select {
			case <-ectx.Done():
				return
			case <-t.C:
				if _, err := e.keys.EvictGateKeys(ectx); err != nil && ectx.Err() == nil {
					e.mu.Lock()
					e.err = err
					e.mu.Unlock()
				}
			}
		}
	}()
	return nil
}

func (e *evict) Lift(context.Context) error {
	e.stop()
	<-e.done
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.err != nil {
		return fmt.Errorf("redis-evict: evicting while it lasted: %w", e.err)
	}
	return nil
}

// The kinds that act on the replicas themselves.

type replicaAction func(rs Replicas, r int) error

func onReplicas(f faults.Fault, t Targets, apply, lift replicaAction) (Breaker, error) {
	if t.Replicas == nil {
		return nil, errors.New("needs control of the target's replicas, and the run has none (external targets cannot be reached inside)")
	}
	which, err := replicas(f, t.Replicas.Count())
	if err != nil {
		return nil, err
	}
	return &replicaBreaker{rs: t.Replicas, which: which, apply: apply, lift: lift}, nil
}

type replicaBreaker struct {
	rs          Replicas
	which       []int
	apply, lift replicaAction
}

func (b *replicaBreaker) Apply(context.Context) error { return b.each(b.apply) }
func (b *replicaBreaker) Lift(context.Context) error {
	if b.lift == nil {
		return nil
	}
	return b.each(b.lift)
}

func (b *replicaBreaker) each(fn replicaAction) error {
	var errs []error
	for _, r := range b.which {
		if err := fn(b.rs, r); err != nil {
			errs = append(errs, fmt.Errorf("replica %d: %w", r, err))
		}
	}
	return errors.Join(errs...)
}

func buildStall(f faults.Fault, t Targets, _ modeltime.Scale) (Breaker, error) {
	return onReplicas(f, t,
		func(rs Replicas, r int) error { return rs.StallWorkers(r, true) },
		func(rs Replicas, r int) error { return rs.StallWorkers(r, false) })
}

func buildCrash(f faults.Fault, t Targets, _ modeltime.Scale) (Breaker, error) {
	return onReplicas(f, t, Replicas.CrashWorker, Replicas.RestoreWorkers)
}

func buildSkew(f faults.Fault, t Targets, scale modeltime.Scale) (Breaker, error) {
	skew, ok := f.Params.(*faults.ClockSkew)
	if !ok || skew.Offset == 0 {
		return nil, errors.New("needs an offset (offset: -45s sets the workers' clock 45 s behind)")
	}
	off := scale.Wall(time.Duration(skew.Offset))
	return onReplicas(f, t,
		func(rs Replicas, r int) error { return rs.SkewWorkers(r, off) },
		func(rs Replicas, r int) error { return rs.SkewWorkers(r, 0) })
}

func buildKill(f faults.Fault, t Targets, _ modeltime.Scale) (Breaker, error) {
	var lift replicaAction
	if f.For > 0 {
		lift = Replicas.Restart
	}
	return onReplicas(f, t, Replicas.Kill, lift)
}
