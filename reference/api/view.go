package api

import (
	"bytes"
	"context"
	"hash/fnv"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/hbharness/hbharness/reference/cachalot"
	"github.com/hbharness/hbharness/reference/metrics"
	"github.com/hbharness/hbharness/reference/store"
)

// view is one request's run of a Django view under ATOMIC_REQUESTS: its
// transaction, cachalot's record of what the transaction wrote, and
// whether the view ended in an exception (rolled back) or returned a
// response (committed, whatever its status: a view that returns a 503
// still commits).
type view struct {
	db       *store.Request
	st       *store.Store
	cache    *cachalot.Cache
	writes   *cachalot.Tx
	rollback bool
}

func (s *Server) newView() *view {
	v := &view{cache: s.cache, writes: s.cache.Begin()}
	v.db = store.NewRequest(s.webDB)
	v.db.Wrote = v.writes.Wrote
	v.db.Acquired = s.metrics.WebConnWait.Observe
	v.st = v.db.Store()
	return v
}

// read is one cachable ORM read in the view (cachalot asks Redis first).
func (v *view) read(ctx context.Context, query string, tables ...string) {
	v.cache.Read(ctx, query, tables...)
}

// end finishes the view's transaction: commit unless it raised, then
// cachalot's invalidations of what the commit wrote. Django sends the
// response only after both (the atomic block and cachalot's exit_atomic
// close around the view).
func (v *view) end(ctx context.Context) error {
	committed, err := v.db.End(ctx, !v.rollback)
	if committed {
		v.writes.Committed(ctx)
	}
	return err
}

// viewTimes records how long views held their thread and connection, with
// the longest per route (a histogram alone cannot say it).
type viewTimes struct {
	m   *metrics.Metrics
	mu  sync.Mutex
	max map[string]time.Duration
}

func newViewTimes(m *metrics.Metrics) *viewTimes {
	return &viewTimes{m: m, max: map[string]time.Duration{}}
}

func (v *viewTimes) observe(route string, d time.Duration) {
	v.m.WebView.WithLabelValues(route).Observe(d.Seconds())
	v.mu.Lock()
	defer v.mu.Unlock()
	if d > v.max[route] {
		v.max[route] = d
		v.m.WebViewMax.WithLabelValues(route).Set(d.Seconds())
	}
}

// tokenQuery names the auth lookup's cache entry without the secret.
func tokenQuery(tok string) string {
	h := fnv.New64a()
	_, _ = h.Write([]byte(tok))
	return "token:" + strconv.FormatUint(h.Sum64(), 16)
}

// buffered holds a view's response until its transaction has ended.
type buffered struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func newBuffered() *buffered { return &buffered{header: http.Header{}, code: http.StatusOK} }

func (b *buffered) Header() http.Header         { return b.header }
func (b *buffered) Write(p []byte) (int, error) { return b.body.Write(p) }
func (b *buffered) WriteHeader(code int)        { b.code = code }

func (b *buffered) sendTo(w http.ResponseWriter) {
	for k, vs := range b.header {
		w.Header()[k] = vs
	}
	w.WriteHeader(b.code)
	_, _ = w.Write(b.body.Bytes())
}
