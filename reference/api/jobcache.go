package api

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/hbharness/hbharness/reference/store"
)

// jobCache serves job rows from memory for a short TTL, as Antenna's ORM
// reads are served from its query cache; without it every poll would add a
// SELECT to the database load the harness is measuring.
type jobCache struct {
	store *store.Store
	ttl   time.Duration
	mu    sync.RWMutex
	jobs  map[int64]cachedJob
}

type cachedJob struct {
	job     store.Job
	missing bool
	until   time.Time
}

func newJobCache(st *store.Store, ttl time.Duration) *jobCache {
	return &jobCache{store: st, ttl: ttl, jobs: make(map[int64]cachedJob)}
}

func (c *jobCache) get(ctx context.Context, id int64) (store.Job, error) {
	now := time.Now()
	c.mu.RLock()
	e, ok := c.jobs[id]
	c.mu.RUnlock()
	if ok && now.Before(e.until) {
		if e.missing {
			return store.Job{}, store.ErrNotFound
		}
		return e.job, nil
	}
	j, err := c.store.GetJob(ctx, id)
	missing := errors.Is(err, store.ErrNotFound)
	if err != nil && !missing {
		return store.Job{}, err
	}
	if c.ttl > 0 {
		c.mu.Lock()
		if len(c.jobs) > 100_000 {
			clear(c.jobs) // bounded: ids from an attacker must not grow memory
		}
		c.jobs[id] = cachedJob{job: j, missing: missing, until: now.Add(c.ttl)}
		c.mu.Unlock()
	}
	return j, err
}

func (c *jobCache) forget(id int64) {
	c.mu.Lock()
	delete(c.jobs, id)
	c.mu.Unlock()
}
