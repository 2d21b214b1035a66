package reference_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/internal/modeltime"
	"github.com/hbharness/hbharness/internal/provision/testenv"
	"github.com/hbharness/hbharness/internal/redisconn"
	"github.com/hbharness/hbharness/reference"
	"github.com/hbharness/hbharness/reference/broker"
	"github.com/hbharness/hbharness/reference/contract"
	"github.com/hbharness/hbharness/reference/heartbeat"
	"github.com/hbharness/hbharness/reference/settings"
	"github.com/hbharness/hbharness/reference/store"
)

const token = "test-token"

// recorder keeps every event the reference reports and counts them for
// assertions.
type recorder struct{ heartbeat.Recorder }

func (r *recorder) count(kind heartbeat.EventKind, key string) int {
	n := 0
	for _, e := range r.All() {
		if e.Kind == kind && (key == "" || e.Key == key) {
			n++
		}
	}
	return n
}

func (r *recorder) rows() int64 {
	var n int64
	for _, e := range r.All() {
		if e.Kind == heartbeat.EventTask && e.Result == heartbeat.TaskWrote {
			n += e.Rows
		}
	}
	return n
}

type fixture struct {
	env    *testenv.Env
	ref    *reference.Reference
	srv    *reference.Server
	events *recorder
	keys   []contract.Key
}

type option func(*reference.Config)

func withBroker(c *redis.Client) option {
	return func(cfg *reference.Config) {
		cfg.Broker = broker.NewRedisQueue(c, cfg.KeyPrefix, slog.New(slog.DiscardHandler))
	}
}
func withScale(s modeltime.Scale) option {
	return func(cfg *reference.Config) { cfg.Clock = modeltime.Clock{Scale: s} }
}

func withSettings(edit func(*settings.Settings)) option {
	return func(cfg *reference.Config) { edit(&cfg.Settings) }
}
func withLog(l *slog.Logger) option {
	return func(cfg *reference.Config) { cfg.Log = l }
}

// start seeds the default fixtures, with 1,000 tasks rather than 10,000
// (every test here takes far fewer, and each is published to NATS), and
// serves one replica of strategy.
func start(t *testing.T, strategy string, opts ...option) *fixture {
	t.Helper()
	f := contract.DefaultFixtures()
	f.TasksPerJob = 1000
	return startWith(t, f, strategy, opts...)
}

// startWith seeds fixtures and serves one replica of strategy.
func startWith(t *testing.T, fixtures contract.Fixtures, strategy string, opts ...option) *fixture {
	t.Helper()
	env := testenv.New(t)
	ctx, cancel := context.WithCancel(context.Background())
	require.NoError(t, store.ResetSchema(ctx, env.Pool, false))
	keys, err := store.Seed(ctx, env.Pool, fixtures)
	require.NoError(t, err)
	rec := &recorder{}
	cfg := reference.Config{
		DB: env.Pool, Redis: env.Redis, Broker: broker.NewRedisQueue(env.Redis, env.Prefix, slog.New(slog.DiscardHandler)),
		NATS: env.NATS, KeyPrefix: env.Prefix,
		Strategy: strategy, Clock: modeltime.Clock{Scale: modeltime.Real}, Settings: settings.Default(),
		Token: token, Events: rec, Log: slog.New(slog.DiscardHandler),
	}
	// Tests fire bursts of 200 at once, more than one database's
	// connections: they are about the gate. TestTierRefusesPastTheConnections
	// holds the limit.
	cfg.Settings.DBMaxConnections = 0
	for _, o := range opts {
		o(&cfg)
	}
	require.NoError(t, reference.StartJobs(ctx, env.NATS, env.Redis, env.Prefix, cfg.Clock.Scale, cfg.Settings,
		reference.Jobs(keys, fixtures.TasksPerJob), cfg.Log))
	ref, err := reference.New(cfg)
	require.NoError(t, err)
	// Served as `hbharness serve` serves it: Django's view semantics included.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := ref.Serve(ctx, ln, cfg.Log)
	t.Cleanup(func() {
		sctx, stop := context.WithTimeout(context.Background(), 5*time.Second)
		defer stop()
		_ = srv.Shutdown(sctx)
		cancel()
	})
	return &fixture{env: env, ref: ref, srv: srv, events: rec, keys: keys}
}

// do sends one request with tok and returns the status and decoded body.
func (f *fixture) do(t testing.TB, method, path, tok string, body any) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewBufferString(b)
	default:
		raw, err := json.Marshal(b)
		require.NoError(t, err)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, f.srv.URL+path, rd)
	require.NoError(t, err)
	if tok != "" {
		req.Header.Set("Authorization", "Token "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var out map[string]any
	raw, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(raw, &out)
	return resp.StatusCode, out
}

func (f *fixture) tasks(t testing.TB, tok string) int {
	code, _ := f.do(t, "POST", "/api/v2/jobs/1/tasks/", tok, map[string]int{"batch_size": 2})
	return code
}

// jobKey is the default seed's (pipeline, project) gate key.
func (f *fixture) jobKey() string {
	return heartbeat.JobTarget(f.keys[0].PipelineID, f.keys[0].ProjectID).GateKey()
}

// lastSeen reads the services' last_seen, in id order (zero when NULL).
func (f *fixture) lastSeen(t testing.TB) []time.Time {
	rows, err := f.env.Pool.Query(context.Background(), `SELECT COALESCE(last_seen, 'epoch') FROM ml_processingservice ORDER BY id`)
	require.NoError(t, err)
	var out []time.Time
	for rows.Next() {
		var ts time.Time
		require.NoError(t, rows.Scan(&ts))
		out = append(out, ts)
	}
	require.NoError(t, rows.Err())
	return out
}

// eventually waits for cond, failing with msg. It waits past the heartbeat
// task's time limit (15 s at real time): a task that will write at all has
// written by then, however long a starved machine (two CPU hogs beside the
// other packages' tests) held it in the queue or on the database; 5 s was
// seen to end before the write. A condition that holds returns at once.
func eventually(t testing.TB, cond func() bool, msg string, a ...any) {
	t.Helper()
	require.Eventually(t, cond, settings.Default().TaskTimeLimit+5*time.Second, 10*time.Millisecond, fmt.Sprintf(msg, a...))
}

// deadBroker is a client for a port nothing listens on.
func deadBroker(t testing.TB) *redis.Client {
	c, err := redisconn.Open("redis://127.0.0.1:1/0", redisconn.Timeouts{Timeout: 200 * time.Millisecond, Retries: -1})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// streamExists says whether the test's NATS server has the named stream.
func streamExists(t testing.TB, env *testenv.Env, name string) bool {
	t.Helper()
	nc, err := nats.Connect(env.NATS)
	require.NoError(t, err)
	defer nc.Close()
	js, err := jetstream.New(nc)
	require.NoError(t, err)
	_, err = js.Stream(t.Context(), name)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return false
	}
	require.NoError(t, err)
	return true
}
