// Package cachalot plays django-cachalot's traffic to Redis, which Antenna
// runs on every ORM query (django-cachalot 2.6.3, requirements/base.txt; in
// INSTALLED_APPS at config/settings/base.py:95, with no CACHALOT_* setting,
// so every table is cachable and the cache is CACHES["default"], the same
// Redis as the heartbeat gate).
//
// What it models is when those round trips happen and what a Redis fault
// then does to the caller, not the cache's contents (the reference's job
// cache stands in for cachalot's hits):
//   - a cachable read asks the cache first: one get_many (MGET) of the
//     tables' invalidation stamps and the query's entry
//     (monkey_patch.py _get_result_or_execute_query);
//   - a write outside a transaction invalidates its table before the SQL
//     runs: one set_many (monkey_patch.py _patch_write_compiler, calling
//     api.invalidate, utils.py _invalidate_tables);
//   - inside a transaction (ATOMIC_REQUESTS) the stamps go to an in-memory
//     AtomicCache, and when the outermost block commits, its contents and
//     then the invalidations are written: two set_many, after COMMIT
//     (monkey_patch.py _patch_atomic: exit_atomic runs in a finally after
//     Atomic.__exit__; transaction.py AtomicCache.commit).
//
// The cache is django-redis with IGNORE_EXCEPTIONS (config/settings/base.py:
// 282): a failed call is a miss and the caller carries on. A call that never
// answers is not a failure: the caller waits, as long as the client's read
// timeout allows (Antenna sets none).
package cachalot

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
)

// Cache is cachalot on one Redis client. The zero value, and a nil *Cache,
// do nothing: cachalot switched off.
type Cache struct {
	Redis  *redis.Client
	Prefix string // isolates runs on a shared Redis
	// Calls counts round trips by kind and result (ok, error); nil: none.
	Calls *prometheus.CounterVec
	Log   *slog.Logger
}

// Kinds of round trip, for Calls.
const (
	KindRead       = "read"
	KindInvalidate = "invalidate"
)

func (c *Cache) on() bool { return c != nil && c.Redis != nil }

func (c *Cache) tableKey(table string) string { return c.Prefix + "cachalot:table:" + table }

// Read is one cachable ORM read of query over tables: the get_many cachalot
// sends before deciding whether to run the SQL.
func (c *Cache) Read(ctx context.Context, query string, tables ...string) {
	if !c.on() {
		return
	}
	keys := make([]string, 0, len(tables)+1)
	for _, t := range tables {
		keys = append(keys, c.tableKey(t))
	}
	keys = append(keys, c.Prefix+"cachalot:query:"+query)
	c.done(KindRead, c.Redis.MGet(ctx, keys...).Err())
}

// Invalidate stamps tables as changed now: the set_many of a write outside
// a transaction, made before the write itself.
func (c *Cache) Invalidate(ctx context.Context, tables ...string) {
	if !c.on() || len(tables) == 0 {
		return
	}
	c.setMany(ctx, tables)
}

func (c *Cache) setMany(ctx context.Context, tables []string) {
	now := strconv.FormatFloat(float64(time.Now().UnixMicro())/1e6, 'f', 6, 64)
	_, err := c.Redis.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, t := range tables {
			p.Set(ctx, c.tableKey(t), now, 0) // CACHALOT_TIMEOUT None: no expiry
		}
		return nil
	})
	c.done(KindInvalidate, err)
}

func (c *Cache) done(kind string, err error) {
	result := "ok"
	if err != nil && err != redis.Nil {
		result = "error"
		if c.Log != nil {
			// IGNORE_EXCEPTIONS: django-redis logs nothing either; debug only.
			c.Log.Debug("cachalot call failed, ignored as a miss", "kind", kind, "err", err)
		}
	}
	if c.Calls != nil {
		c.Calls.WithLabelValues(kind, result).Inc()
	}
}

// Tx is cachalot's view of one transaction: the tables it wrote, whose
// invalidation waits for the commit.
type Tx struct {
	c      *Cache
	mu     sync.Mutex
	tables []string
}

// Begin starts tracking a transaction (an atomic block).
func (c *Cache) Begin() *Tx { return &Tx{c: c} }

// Wrote notes a write to table inside the transaction: no round trip yet.
func (t *Tx) Wrote(table string) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, have := range t.tables {
		if have == table {
			return
		}
	}
	t.tables = append(t.tables, table)
}

// Committed runs what follows a commit that wrote: the atomic cache's
// set_many into Redis, then the invalidation's own set_many. A transaction
// that wrote nothing, or rolled back, costs nothing.
func (t *Tx) Committed(ctx context.Context) {
	if t == nil || !t.c.on() {
		return
	}
	t.mu.Lock()
	tables := t.tables
	t.mu.Unlock()
	if len(tables) == 0 {
		return
	}
	t.c.setMany(ctx, tables) // AtomicCache.commit: parent_cache.set_many(self)
	t.c.setMany(ctx, tables) // then _invalidate_tables(parent_cache, ...)
}
