package provision

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go/jetstream"
	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/internal/isoname"
	"github.com/hbharness/hbharness/internal/redisconn"
	"github.com/hbharness/hbharness/internal/testdeps"
	"github.com/hbharness/hbharness/reference/broker"
)

func TestNameRoundTrip(t *testing.T) {
	unquoted := regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)
	cases := []struct {
		kind    string
		started time.Time
	}{
		{"t", time.Date(2026, 11, 27, 5, 28, 0, 0, time.UTC)},
		{"run", time.Date(2026, 11, 27, 5, 28, 0, 999_999_999, time.UTC)},
		{"run", time.Date(2027, 1, 1, 0, 30, 59, 0, time.FixedZone("UTC+1", 3600))},
		{"a123456789abcdef", time.Date(1999, 12, 31, 23, 59, 59, 0, time.UTC)},
	}
	for _, tc := range cases {
		t.Run(tc.kind+"@"+tc.started.String(), func(t *testing.T) {
			name := isoname.New(tc.kind, tc.started)
			require.LessOrEqual(t, len(name), 63, "a Postgres identifier")
			require.Regexp(t, unquoted, name, "usable unquoted in SQL")
			want := tc.started.UTC().Truncate(time.Second)
			for _, s := range []string{name, Prefix(name) + "queue", Prefix(name) + "tasks:job:12"} {
				n, err := ParseName(s)
				require.NoError(t, err, s)
				require.Equal(t, Name{Base: name, Kind: tc.kind, Started: want}, n, s)
			}
		})
	}
	before := time.Now().Truncate(time.Second)
	n, err := ParseName(NewName("run"))
	require.NoError(t, err)
	require.Equal(t, "run", n.Kind)
	require.WithinRange(t, n.Started, before, time.Now())
	require.Regexp(t, `^hbh_run_\d{8}t\d{6}_[0-9a-f]{10}$`, n.Base)
	require.NotEqual(t, NewName("t"), NewName("t"), "random")
}

// Whatever does not parse is never swept: the servers are shared.
func TestParseNameRejectsForeignNames(t *testing.T) {
	for _, s := range []string{
		"",
		"postgres",
		"template1",
		"test",
		"hbh_t_abcdef0123",       // the old naming, without a time
		"hbh_t_abcdef0123:queue", // a key under an old-style prefix
		"hbh_amqptest_0123456789abcdef:queue",
		"hbhx_run_20261127t052800_ab12cd34ef",
		"xhbh_run_20261127t052800_ab12cd34ef",
		"heartbeat:job:1",
		"heartbeat:hbh_run_20261127t052800_ab12cd34ef:1",
		"HBH_RUN_20261127T052800_AB12CD34EF",
		"hbh_Run_20261127t052800_ab12cd34ef",
		"hbh_run_20261127T052800_ab12cd34ef",
		"hbh_run_20261127t052800_AB12CD34EF",
		"hbh__20261127t052800_ab12cd34ef",
		"hbh_1run_20261127t052800_ab12cd34ef",
		"hbh_run_x_20261127t052800_ab12cd34ef",
		"hbh_run_20261127t052800_ab12cd34e",
		"hbh_run_20261127t052800_ab12cd34ef0",
		"hbh_run_2026112t052800_ab12cd34ef",
		"hbh_run_20261127t052800ab12cd34ef",
		"hbh_run_20261327t052800_ab12cd34ef", // month 13
		"hbh_run_20260230t052800_ab12cd34ef", // 30 February
		"hbh_run_20261127t250000_ab12cd34ef", // 25 o'clock
		"hbh_run_20261127t052800_ab12cd34ef-other",
		"hbh_run_20261127t052800_ab12cd34ef_1",
		" hbh_run_20261127t052800_ab12cd34ef",
		"hbh_run_20261127t052800_ab12cd34ef\n",
	} {
		t.Run(s, func(t *testing.T) {
			_, err := ParseName(s)
			require.Error(t, err)
		})
	}
}

func TestNewNameRefusesKindsItCouldNotParse(t *testing.T) {
	for _, kind := range []string{"", "Run", "r-n", "run_x", "1run", "a123456789abcdefg"} {
		t.Run(kind, func(t *testing.T) {
			require.Panics(t, func() { NewName(kind) })
		})
	}
}

func TestSweepRefusesANonPositiveAge(t *testing.T) {
	for _, d := range []time.Duration{0, -time.Hour} {
		_, err := Sweep(context.Background(), FromEnv(), d, time.Now(), nil)
		require.ErrorContains(t, err, "must be positive")
	}
}

// Nothing listens on port 1: every service is named in the error, none
// panics, and the password stays out of the message.
func TestSweepNamesUnreachableServices(t *testing.T) {
	cases := []struct {
		name   string
		broker string
		want   []string
	}{
		{"redis broker", "redis://127.0.0.1:1/1", []string{"Postgres at", "Redis at redis://127.0.0.1:1/0", "Redis at redis://127.0.0.1:1/1", "NATS at nats://127.0.0.1:1"}},
		{"rabbitmq broker", "amqp://guest:hunter2@127.0.0.1:1/", []string{"Postgres at", "Redis at", "RabbitMQ at amqp://guest:xxxxx@127.0.0.1:1/"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			u := URLs{Database: "postgres://postgres:hunter2@127.0.0.1:1/postgres?sslmode=disable", Redis: "redis://127.0.0.1:1/0", Broker: tc.broker,
				NATS: "nats://127.0.0.1:1"}
			swept, err := Sweep(context.Background(), u, time.Hour, time.Now(), nil)
			require.Error(t, err)
			require.Zero(t, swept.Len())
			for _, want := range tc.want {
				require.Contains(t, err.Error(), want)
			}
			require.NotContains(t, err.Error(), "hunter2")
		})
	}
}

// The sweep on the shared servers, confined to a kind of its own so that it
// cannot touch anyone else's leftovers: old things of ours go, fresh ones
// and look-alikes of other origins stay.
func TestSweepRemovesOnlyOldLeftoversOfOurs(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: needs the shared servers; `make test` runs it")
	}
	cases := []struct {
		name   string
		rabbit bool
	}{
		{"redis broker", false},
		{"rabbitmq broker", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			svc, err := Resolve(ctx, FromEnv(), Options{NoDocker: true, Log: slog.New(slog.DiscardHandler)})
			require.NoError(t, err, "this test needs Postgres and Redis (bash .ci/run starts them)")
			t.Cleanup(svc.Close)
			urls := svc.URLs
			urls.Broker = urls.Redis
			if tc.rabbit {
				urls.Broker = rabbitURL(t)
			}

			kind := "sw" + randHex(4)
			now := time.Now()
			// Every name is within the last hour, so no run elsewhere on the
			// machine (which sweeps what is older than an hour) takes them first:
			// this sweep's own cutoff is 5 minutes.
			oldName := isoname.New(kind, now.Add(-30*time.Minute))
			oldKeysOnly := isoname.New(kind, now.Add(-20*time.Minute)) // its database already gone
			fresh := isoname.New(kind, now.Add(-time.Minute))
			orphan := isoname.New(kind, now.Add(-30*time.Minute)) // only a queue is left
			// Names of a similar shape that are not ours, old enough to go if
			// they were.
			lookAlike := "hbhx_" + strings.TrimPrefix(isoname.New(kind, now.Add(-30*time.Minute)), "hbh_")
			oldStyle := "hbh_" + kind + "_" + randHex(5)

			for _, db := range []string{oldName, fresh, lookAlike, oldStyle} {
				createDatabase(t, urls.Database, db)
			}
			// A process still connected, as a hung run would be: FORCE drops it anyway.
			hung, err := pgx.Connect(ctx, withDatabase(t, urls.Database, oldName))
			require.NoError(t, err)
			t.Cleanup(func() { _ = hung.Close(context.Background()) })

			rc, err := redisconn.Open(urls.Redis, redisconn.Timeouts{Timeout: 5 * time.Second})
			require.NoError(t, err)
			t.Cleanup(func() { _ = rc.Close() })
			ours := func(base string) []string {
				return []string{Prefix(base) + "queue", Prefix(base) + "tasks:job:1", Prefix(base) + "tasks:job:2"}
			}
			oldKeys := append(ours(oldName), ours(oldKeysOnly)...)
			keepKeys := append(ours(fresh),
				Prefix(lookAlike)+"queue",
				Prefix(oldStyle)+"queue",
				oldName, // a bare base: no key of ours is named so
				"heartbeat:"+Prefix(oldName)+"1",
				"hbh_"+kind+"_20261327t052800_"+randHex(5)+":queue", // no such month
			)
			for _, k := range append(append([]string{}, oldKeys...), keepKeys...) {
				require.NoError(t, rc.Set(ctx, k, 1, 0).Err())
			}
			t.Cleanup(func() {
				all := append(append([]string{}, oldKeys...), keepKeys...)
				require.NoError(t, rc.Del(context.Background(), all...).Err())
			})

			var oldQueues, keepQueues []string
			if tc.rabbit {
				oldQueues = []string{Prefix(oldName) + "queue", Prefix(oldKeysOnly) + "queue"}
				keepQueues = []string{Prefix(fresh) + "queue", Prefix(lookAlike) + "queue",
					// Nothing in Postgres or Redis names it, and AMQP cannot
					// list queues: it is left to its x-expires.
					Prefix(orphan) + "queue"}
				for _, q := range append(append([]string{}, oldQueues...), keepQueues...) {
					declareQueue(t, urls.Broker, q)
				}
			}

			// Streams are named under a run's key prefix (taskqueue.Names).
			oldStreams := []string{Prefix(oldName) + "job_1", Prefix(oldName) + "advisories", Prefix(oldKeysOnly) + "job_2"}
			keepStreams := []string{Prefix(fresh) + "job_1", Prefix(lookAlike) + "job_1", Prefix(oldStyle) + "job_1"}
			for _, name := range append(append([]string{}, oldStreams...), keepStreams...) {
				createStream(t, urls.NATS, name)
			}

			old := func(n Name) bool { return n.Kind == kind && startedBefore(now.Add(-5*time.Minute))(n) }
			swept, err := sweep(ctx, urls, old, nil)
			require.NoError(t, err)
			require.Equal(t, []string{oldName}, swept.Databases)
			require.ElementsMatch(t, oldKeys, swept.Keys)
			require.IsIncreasing(t, swept.Keys)
			require.Equal(t, oldQueues, swept.Queues)
			require.ElementsMatch(t, oldStreams, swept.Streams)
			require.IsIncreasing(t, swept.Streams)
			for _, name := range oldStreams {
				require.False(t, streamExists(t, urls.NATS, name), name)
			}
			for _, name := range keepStreams {
				require.True(t, streamExists(t, urls.NATS, name), name)
			}

			require.False(t, databaseExists(t, urls.Database, oldName))
			for _, db := range []string{fresh, lookAlike, oldStyle} {
				require.True(t, databaseExists(t, urls.Database, db), db)
			}
			n, err := rc.Exists(ctx, oldKeys...).Result()
			require.NoError(t, err)
			require.Zero(t, n, "old keys of ours are gone")
			for _, k := range keepKeys {
				require.Equal(t, int64(1), rc.Exists(ctx, k).Val(), k)
			}
			for _, q := range oldQueues {
				require.False(t, queueExists(t, urls.Broker, q), q)
			}
			for _, q := range keepQueues {
				require.True(t, queueExists(t, urls.Broker, q), q)
			}

			again, err := sweep(ctx, urls, old, nil)
			require.NoError(t, err)
			require.Zero(t, again.Len(), "a second sweep finds nothing: Swept lists only what it removed")
		})
	}
}

// createStream creates a stream on the test's NATS, deleted when the test ends.
func createStream(t *testing.T, rawURL, name string) {
	t.Helper()
	nc, js, err := connectNATS(rawURL, 5*time.Second)
	require.NoError(t, err, "this test needs NATS with JetStream (bash scripts/services.sh starts it)")
	defer nc.Close()
	_, err = js.CreateStream(t.Context(), jetstream.StreamConfig{Name: name, Subjects: []string{strings.ReplaceAll(name, ":", "-") + ".tasks"}})
	require.NoError(t, err)
	t.Cleanup(func() {
		nc, js, err := connectNATS(rawURL, 5*time.Second)
		require.NoError(t, err)
		defer nc.Close()
		if err := js.DeleteStream(context.Background(), name); err != nil && !errors.Is(err, jetstream.ErrStreamNotFound) {
			t.Errorf("deleting stream %s: %v", name, err)
		}
	})
}

func streamExists(t *testing.T, rawURL, name string) bool {
	t.Helper()
	nc, js, err := connectNATS(rawURL, 5*time.Second)
	require.NoError(t, err)
	defer nc.Close()
	_, err = js.Stream(t.Context(), name)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return false
	}
	require.NoError(t, err)
	return true
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// rabbitURL is BROKER_URL when it names RabbitMQ, else the local server;
// the test skips when it does not answer.
func rabbitURL(t *testing.T) string {
	t.Helper()
	raw := FromEnv().Broker
	if !isAMQP(raw) {
		raw = "amqp://guest:guest@127.0.0.1:5672/"
	}
	u, err := url.Parse(raw)
	require.NoError(t, err)
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), "5672")
	}
	c, err := net.DialTimeout("tcp", host, time.Second)
	testdeps.Require(t, "RabbitMQ at "+host, err, "the queue sweep is tested only when it runs: start it with `rabbitmq-server -detached`")
	_ = c.Close()
	return raw
}

func createDatabase(t *testing.T, adminDSN, name string) {
	t.Helper()
	_, drop, err := CreateDatabase(context.Background(), adminDSN, name)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, drop(context.Background())) })
}

func withDatabase(t *testing.T, dsn, name string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	require.NoError(t, err)
	u.Path = "/" + name
	return u.String()
}

func databaseExists(t *testing.T, adminDSN, name string) bool {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, adminDSN)
	require.NoError(t, err)
	defer conn.Close(ctx)
	var exists bool
	require.NoError(t, conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists))
	return exists
}

// declareQueue declares queue the way a run does, through the broker, and
// deletes it when the test ends.
func declareQueue(t *testing.T, rawURL, queue string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	q, err := broker.NewAMQP(ctx, rawURL, strings.TrimSuffix(queue, "queue"), 2*time.Second, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	_, err = q.Depth(ctx) // fails unless the queue was declared
	require.NoError(t, err)
	t.Cleanup(func() {
		require.NoError(t, q.Delete(context.Background()))
		require.NoError(t, q.Close())
	})
}

func queueExists(t *testing.T, rawURL, queue string) bool {
	t.Helper()
	conn, err := amqp.Dial(rawURL)
	require.NoError(t, err)
	defer conn.Close()
	ch, err := conn.Channel()
	require.NoError(t, err)
	defer func() { _ = ch.Close() }()
	_, err = ch.QueueDeclarePassive(queue, true, false, false, false, nil)
	var aerr *amqp.Error
	if errors.As(err, &aerr) && aerr.Code == amqp.NotFound {
		return false
	}
	require.NoError(t, err)
	return true
}
