// Package bench measures the request path of /tasks under each strategy
// against a bare handler, over loopback HTTP, in one run so the ratios are
// taken on the same machine state (`make bench`).
package bench

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/internal/modeltime"
	"github.com/hbharness/hbharness/internal/provision/testenv"
	"github.com/hbharness/hbharness/reference"
	"github.com/hbharness/hbharness/reference/antenna"
	"github.com/hbharness/hbharness/reference/broker"
	"github.com/hbharness/hbharness/reference/contract"
	"github.com/hbharness/hbharness/reference/settings"
	"github.com/hbharness/hbharness/reference/store"
)

type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}

// serve starts h on a loopback port and returns its base URL.
func serve(b *testing.B, h http.Handler) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(b, err)
	srv := &http.Server{Handler: h}
	go func() { _ = srv.Serve(ln) }()
	b.Cleanup(func() { _ = srv.Close() })
	return "http://" + ln.Addr().String()
}

// hammer posts /tasks from parallel clients and returns requests per second.
func hammer(b *testing.B, base string) float64 {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 256}}
	b.Cleanup(client.CloseIdleConnections)
	body := []byte(`{"batch_size":1}`)
	url := base + "/api/v2/jobs/1/tasks/"
	b.SetParallelism(8)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
			req.Header.Set("Authorization", "Token bench")
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
	rate := float64(b.N) / time.Since(start).Seconds()
	b.ReportMetric(rate, "req/s")
	return rate
}

// BenchmarkTasks reports req/s of /tasks per strategy and the ratio to a
// bare handler measured in the same run.
func BenchmarkTasks(b *testing.B) {
	redis.SetLogger(quiet{})
	env := testenv.New(b)
	ctx := context.Background()
	require.NoError(b, store.ResetSchema(ctx, env.Pool, false))
	_, err := store.Seed(ctx, env.Pool, contract.Fixtures{Projects: 1, Pipelines: 1, ServicesPerKey: 3, JobsPerKey: 1})
	require.NoError(b, err)

	var bare float64
	b.Run("bare", func(b *testing.B) {
		// The floor: routing, reading the body and answering, nothing else.
		h := http.NewServeMux()
		h.HandleFunc("POST /api/v2/jobs/{id}/tasks/{$}", func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"tasks":[]}`))
		})
		bare = hammer(b, serve(b, h))
	})
	// Strategies that write on every request run last: the row versions and
	// autovacuum they leave behind would otherwise slow the ones after them.
	// per-service-sync gates the bench's shared token as view-gate does
	// (PR #1194's fallback): it writes in the view only for its own tokens.
	order := []string{"two-tier", "view-gate", "per-service", "per-service-sync", "view-gate-task-check",
		"task-throttle", "none", "db-skip-locked", "inline"}
	require.ElementsMatch(b, contract.Strategies(), order, "every strategy is benchmarked")
	for _, name := range order {
		b.Run(name, func(b *testing.B) {
			rctx, cancel := context.WithCancel(ctx)
			ref, err := reference.New(reference.Config{DB: env.Pool, Redis: env.Redis,
				Broker: broker.NewRedisQueue(env.Redis, env.Prefix+name+":", slog.New(slog.DiscardHandler)),
				NATS:   env.NATS, Supply: stubSupply{},
				KeyPrefix: env.Prefix + name + ":", Strategy: name, Clock: modeltime.Clock{Scale: modeltime.Real},
				Settings: settings.Default(), Token: "bench", Log: slog.New(slog.DiscardHandler)})
			require.NoError(b, err)
			done := make(chan struct{})
			go func() { ref.Run(rctx); close(done) }()
			b.Cleanup(func() { cancel(); <-done })
			rate := hammer(b, serve(b, ref.Handler))
			if bare > 0 {
				b.ReportMetric(rate/bare, "x-bare")
			}
		})
	}
}

// stubSupply hands out tasks from memory: the strategies are measured
// alone, without the task queue's per-request NATS connection (which
// BenchmarkTasksFromNATS measures).
type stubSupply struct{}

func (stubSupply) Reserve(_ context.Context, job int64, n int) ([]antenna.Task, error) {
	out := make([]antenna.Task, n)
	for i := range out {
		out[i] = antenna.Task{ID: "1", ImageID: 1, ImageURL: "http://127.0.0.1/media/images/1.jpg", ReplySubject: "$JS.ACK.s.c.1.1.1.1.1"}
	}
	return out, nil
}

// BenchmarkTasksFromNATS is /tasks under view-gate with upstream's
// reservation: a NATS connection per request, its lookups, a fetch.
func BenchmarkTasksFromNATS(b *testing.B) {
	redis.SetLogger(quiet{})
	env := testenv.New(b)
	ctx := context.Background()
	require.NoError(b, store.ResetSchema(ctx, env.Pool, false))
	keys, err := store.Seed(ctx, env.Pool, contract.Fixtures{Projects: 1, Pipelines: 1, ServicesPerKey: 3, JobsPerKey: 1})
	require.NoError(b, err)
	// Nothing acknowledges the tasks handed out here: without a roomy
	// max_ack_pending the consumer would stop after 1,000 and the benchmark
	// would measure the 0.5 s wait of an empty reservation instead.
	s := settings.Default()
	s.NatsMaxAckPending = 1 << 30
	cfg := reference.Config{DB: env.Pool, Redis: env.Redis, Broker: broker.NewRedisQueue(env.Redis, env.Prefix, slog.New(slog.DiscardHandler)),
		NATS: env.NATS, KeyPrefix: env.Prefix, Strategy: "view-gate", Clock: modeltime.Clock{Scale: modeltime.Real},
		Settings: s, Token: "bench", Log: slog.New(slog.DiscardHandler)}
	require.NoError(b, reference.StartJobs(ctx, env.NATS, env.Redis, env.Prefix, cfg.Clock.Scale, cfg.Settings,
		reference.Jobs(keys, 0), cfg.Log))
	rctx, cancel := context.WithCancel(ctx)
	ref, err := reference.New(cfg)
	require.NoError(b, err)
	done := make(chan struct{})
	go func() { ref.Run(rctx); close(done) }()
	b.Cleanup(func() { cancel(); <-done })
	hammer(b, serve(b, ref.Handler))
}
