package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/internal/provision"
	"github.com/hbharness/hbharness/internal/provision/testenv"
	"github.com/hbharness/hbharness/internal/redisconn"
	"github.com/hbharness/hbharness/runfolder"
)

// writeScenario writes a scenario file into the test's own folder.
func writeScenario(t *testing.T, name, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name+".yaml")
	require.NoError(t, os.WriteFile(path, []byte(body), 0o644))
	return path
}

// brief is a correct twelve-second run, long enough to judge staleness past
// its 60 s grace; its offline check runs every 5 s (at Antenna's 5 min none
// would run in it, and never_marked_offline_while_polled would judge nothing).
// Its polls leave 10 model seconds, 1 s of wall time, apart: a send counts
// as late past a tenth of that, 100 ms, so that the stalls of a runner busy
// with other jobs (60-95 ms seen beside two CPU hogs) do not read as a
// saturated generator in tests whose point is what the CLI writes.
const brief = `
name: brief
duration: 2m
time_scale: 0.1
settings: {checker_every: 5s}
fleet: [{name: w, workers: 4, poll_every: 10s}]
`

// One saturated scenario in a suite: the suite goes on, prints the whole
// table and writes JUnit for every scenario, then exits 2.
func TestSuiteGoesOnPastASaturatedScenario(t *testing.T) {
	ok := writeScenario(t, "brief", brief)
	// One sender cannot put 20,000 requests a second through loopback HTTP:
	// the attack falls short of its rate and the run is unusable.
	flood := writeScenario(t, "flood", `
name: flood
duration: 2s
time_scale: 1
load: [{name: flood, endpoint: tasks, rate: 20000/s, duration: 2s, max_workers: 1}]
`)
	out := t.TempDir()
	code, stdout, stderr := cli(t, nil, "suite", "--scenarios", flood+","+ok, "--out", out)
	require.Equal(t, 2, code, "stdout: %s\nstderr: %s", stdout, stderr)
	require.Contains(t, stderr, "1 run(s) did not produce a result")
	require.Contains(t, stderr, "load generator saturated")
	table := stdout[strings.LastIndex(stdout, "SCENARIO"):]
	require.Regexp(t, `flood\s+view-gate\s+UNUSABLE`, table)
	require.Regexp(t, `brief\s+view-gate\s+PASS`, table, "the scenario after the saturated one ran")
	require.Contains(t, table, "1 passed, 0 failed, 1 unusable")
	junit, err := os.ReadFile(filepath.Join(out, runfolder.JUnitFile))
	require.NoError(t, err)
	require.Contains(t, string(junit), `<testsuite name="flood/view-gate"`)
	require.Contains(t, string(junit), `<testsuite name="brief/view-gate"`)
	require.Regexp(t, `<testcase name="load_generator_kept_up"[^>]*>\s*<error message=`, string(junit))
	require.Contains(t, string(junit), `errors="1"`)
}

// A scenario refused for its time scale is UNUSABLE in the suite's table and
// JUnit, and the suite goes on with the others, then exits 2.
func TestSuiteGoesOnPastARefusedScale(t *testing.T) {
	ok := writeScenario(t, "brief", brief)
	out := t.TempDir()
	// 0.1: too small for many-keys (0.3 at least), brief's own scale. At
	// 0.02 brief saturated beside two CPU hogs and read UNUSABLE, not PASS.
	code, stdout, stderr := cli(t, nil, "suite", "--scenarios", "many-keys,"+ok, "--time-scale", "0.1", "--out", out)
	require.Equal(t, 2, code, "stdout: %s\nstderr: %s", stdout, stderr)
	require.Contains(t, stdout, "many-keys: refused: ")
	// The floor itself follows the scenario's rate; the test pins only that
	// the refusal names one.
	require.Regexp(t, `use --time-scale [0-9.]+ or more`, stderr)
	table := stdout[strings.LastIndex(stdout, "SCENARIO"):]
	require.Regexp(t, `many-keys\s+view-gate\s+UNUSABLE`, table)
	require.Regexp(t, `brief\s+view-gate\s+PASS`, table)
	require.Contains(t, table, "1 passed, 0 failed, 1 unusable")
	junit, err := os.ReadFile(filepath.Join(out, runfolder.JUnitFile))
	require.NoError(t, err)
	require.Regexp(t, `<testcase name="run_usable"[^>]*>\s*<error message="[^"]*too small to judge many-keys`, string(junit))
}

// serve --seed on a database it does not own refuses and leaves the
// database as it was; --force is the way past it.
func TestServeSeedRefusesAForeignDatabase(t *testing.T) {
	env := testenv.New(t)
	ctx := context.Background()
	_, err := env.Pool.Exec(ctx, `CREATE TABLE customers (id int); INSERT INTO customers VALUES (42);
		CREATE TABLE ml_pipeline (id int, slug text); INSERT INTO ml_pipeline VALUES (7, 'production')`)
	require.NoError(t, err)
	code, stdout, stderr := cli(t, []string{"DATABASE_URL=" + env.DSN, "REDIS_URL=" + env.URLs.Redis},
		"serve", "--addr", "127.0.0.1:0", "--seed", "default", "--key-prefix", env.Prefix)
	require.Equal(t, 2, code, "stdout: %s\nstderr: %s", stdout, stderr)
	require.Contains(t, stderr, "--seed refused")
	require.Contains(t, stderr, "public.customers")
	require.Contains(t, stderr, "--force")
	var id int
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT id FROM customers`).Scan(&id))
	require.Equal(t, 42, id, "the foreign table survives")
	var slug string
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT slug FROM ml_pipeline`).Scan(&slug))
	require.Equal(t, "production", slug, "and so does a foreign table under one of Antenna's names")

	s := serve(t, env, nil, "--seed", "default", "--force")
	require.Equal(t, 200, s.post(t, "/api/v2/jobs/1/tasks/", `{"batch_size":1}`), "--force seeds anyway")
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT id FROM customers`).Scan(&id), "tables outside Antenna's names are never dropped")
}

var sandboxLine = regexp.MustCompile(`msg=sandbox .*database=(hbh_run_\S+) key_prefix=(\S+)`)

// A run killed with SIGKILL leaves its database and keys; once they are an
// hour old the next run removes them. The hour is simulated by renaming the
// leftovers to a start time two hours back, so nothing of another test
// running now (all younger than an hour) is at risk.
func TestNextRunSweepsAKilledRun(t *testing.T) {
	ctx := context.Background()
	urls := provision.FromEnv()
	// -v: the run's log lines, which name its sandbox, on stderr too.
	cmd := exec.Command(binary, "run", "-v", "--scenario", writeScenario(t, "long", `
name: long
duration: 10m
time_scale: 0.05
fixtures: {tasks_per_job: 1000}
fleet: [{name: w, workers: 4, poll_every: 5s}]
`), "--out", t.TempDir())
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	names := make(chan []string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := sandboxLine.FindStringSubmatch(sc.Text()); m != nil {
				names <- m[1:]
			}
		}
	}()
	var db, prefix string
	select {
	case m := <-names:
		db, prefix = m[0], m[1]
	case <-time.After(time.Minute):
		_ = cmd.Process.Kill()
		t.Fatal("the run never said which database it made")
	}
	rc, err := redisconn.Open(urls.Redis, redisconn.Timeouts{Timeout: 5 * time.Second})
	require.NoError(t, err)
	t.Cleanup(func() { _ = rc.Close() })
	require.Eventually(t, func() bool { return len(keysUnder(t, rc, prefix)) > 0 },
		30*time.Second, 50*time.Millisecond, "the run writes keys under %s", prefix)
	require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
	_ = cmd.Wait()

	admin, err := pgx.Connect(ctx, urls.Database)
	require.NoError(t, err)
	t.Cleanup(func() { _ = admin.Close(ctx) })
	require.True(t, databaseExists(t, admin, db), "SIGKILL left %s behind", db)
	keys := keysUnder(t, rc, prefix)
	require.NotEmpty(t, keys, "and its keys")
	// And its NATS streams, which cannot be renamed into the past: the
	// sweep of streams has its own test (internal/provision); these go here.
	t.Cleanup(func() {
		dctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := provision.DeleteStreams(dctx, urls.NATS, prefix); err != nil {
			t.Errorf("deleting the killed run's streams: %v", err)
		}
	})

	// Two hours pass.
	n, err := provision.ParseName(db)
	require.NoError(t, err)
	old := strings.Replace(db, n.Started.Format("20060102t150405"), n.Started.Add(-2*time.Hour).Format("20060102t150405"), 1)
	_, err = admin.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, db)
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		_, err := admin.Exec(ctx, fmt.Sprintf(`ALTER DATABASE %s RENAME TO %s`, pgx.Identifier{db}.Sanitize(), pgx.Identifier{old}.Sanitize()))
		return err == nil
	}, 10*time.Second, 100*time.Millisecond, "renaming %s", db)
	t.Cleanup(func() {
		_, _ = admin.Exec(context.Background(), `DROP DATABASE IF EXISTS `+pgx.Identifier{old}.Sanitize()+` WITH (FORCE)`)
	})
	for _, k := range keys {
		oldKey := provision.Prefix(old) + strings.TrimPrefix(k, prefix)
		require.NoError(t, rc.Rename(ctx, k, oldKey).Err())
		t.Cleanup(func() { rc.Del(context.Background(), oldKey) })
	}

	code, stdout, stderrOut := cli(t, nil, "run", "-v", "--scenario", writeScenario(t, "brief", brief), "--out", t.TempDir())
	require.Equal(t, 0, code, "stdout: %s\nstderr: %s", stdout, stderrOut)
	require.Contains(t, stderrOut, "removed leftovers of killed runs")
	require.False(t, databaseExists(t, admin, old), "the next run dropped the killed run's database")
	require.Empty(t, keysUnder(t, rc, provision.Prefix(old)), "and its keys")
}

func databaseExists(t *testing.T, c *pgx.Conn, name string) bool {
	var n int
	require.NoError(t, c.QueryRow(context.Background(), `SELECT count(*) FROM pg_database WHERE datname = $1`, name).Scan(&n))
	return n > 0
}

func keysUnder(t *testing.T, rc *redis.Client, prefix string) []string {
	var keys []string
	it := rc.Scan(context.Background(), 0, prefix+"*", 1000).Iterator()
	for it.Next(context.Background()) {
		keys = append(keys, it.Val())
	}
	require.NoError(t, it.Err())
	return keys
}

// Every request refused is not a pass: the run says why and exits 2.
func TestWrongTokenRunExits2WithTheReason(t *testing.T) {
	env := testenv.New(t)
	s := serve(t, env, nil, "--seed", "default", "--time-scale", "0.055")
	code, stdout, stderr := cli(t, nil, "run", "--scenario", writeScenario(t, "brief", brief), "--out", t.TempDir(),
		"--target", s.url, "--token", "WRONG", "--jobs", "1", "--observe-db", env.DSN, "--time-scale", "0.055")
	require.Equal(t, 2, code, "stdout: %s\nstderr: %s", stdout, stderr)
	require.Contains(t, stderr, "answered 4xx")
	require.Contains(t, stderr, "is --token right?")
	require.Contains(t, stdout, "UNUSABLE")
}

// A scale at which the machine's own noise would be judged is refused.
func TestTooSmallATimeScaleIsRefused(t *testing.T) {
	code, _, stderr := cli(t, nil, "run", "--scenario", "steady", "--time-scale", "0.002", "--out", t.TempDir())
	require.Equal(t, 2, code, stderr)
	require.Contains(t, stderr, "time scale 0.002 is too small to judge steady")
	require.Contains(t, stderr, "8 requests per model second must stay under 150 per wall second", "the floor that binds, named")
	require.Contains(t, stderr, "use --time-scale 0.054 or more")
}
