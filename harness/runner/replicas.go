package runner

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/redis/go-redis/v9"
)

// The in-process target is fault.Replicas: the faults that act on the
// reference's own processes go through here.

func (t *inProcess) Count() int { return len(t.replicas) }

func (t *inProcess) replica(i int) (*replica, error) {
	if i < 0 || i >= len(t.replicas) {
		return nil, fmt.Errorf("replica %d does not exist", i)
	}
	// A replica whose web process was killed still has its task workers.
	return t.replicas[i], nil
}

func (t *inProcess) StallWorkers(i int, stalled bool) error {
	r, err := t.replica(i)
	if err == nil {
		r.ref.StallWorkers(stalled)
	}
	return err
}

func (t *inProcess) CrashWorker(i int) error {
	r, err := t.replica(i)
	if err == nil {
		r.ref.CrashWorker()
	}
	return err
}

func (t *inProcess) RestoreWorkers(i int) error {
	r, err := t.replica(i)
	if err == nil {
		r.ref.RestoreWorkers()
	}
	return err
}

func (t *inProcess) SkewWorkers(i int, d time.Duration) error {
	r, err := t.replica(i)
	if err == nil {
		r.ref.SkewWorkers(d)
	}
	return err
}

// Kill stops replica i at once; the balancer routes around it.
func (t *inProcess) Kill(i int) error {
	r, err := t.replica(i)
	if err != nil {
		return err
	}
	if t.balancer != nil {
		t.balancer.set(i, "")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	// The web process only: Antenna's task workers are Celery processes of
	// their own, and go on taking tasks while a web replica is down.
	r.srv.KillWeb()
	r.dead = true
	return nil
}

// Restart brings replica i back on a fresh port and into rotation.
func (t *inProcess) Restart(i int) error {
	if i < 0 || i >= len(t.replicas) {
		return fmt.Errorf("replica %d does not exist", i)
	}
	r := t.replicas[i]
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.dead {
		return nil
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return envErr("listening on loopback for replica %d's restart: %v", i, err)
	}
	r.srv.ReviveWeb(ln)
	r.dead = false
	if t.balancer != nil {
		t.balancer.set(i, r.srv.URL)
	}
	return nil
}

// gateKeys is fault.Keys over the run's own gate keys.
type gateKeys struct {
	rc     *redis.Client
	prefix string
}

func (k gateKeys) EvictGateKeys(ctx context.Context) (int, error) {
	if k.rc == nil {
		return 0, errors.New("no Redis client")
	}
	// SCAN, not KEYS: the server is shared, and KEYS would block it.
	var keys []string
	it := k.rc.Scan(ctx, 0, k.prefix+"heartbeat:*", 1000).Iterator()
	for it.Next(ctx) {
		keys = append(keys, it.Val())
	}
	if err := it.Err(); err != nil || len(keys) == 0 {
		return 0, err
	}
	return len(keys), k.rc.Unlink(ctx, keys...).Err()
}
