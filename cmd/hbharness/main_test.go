package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/internal/provision/testenv"
	"github.com/hbharness/hbharness/internal/testdeps"
	"github.com/hbharness/hbharness/runfolder"
	"github.com/hbharness/hbharness/summary"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "hbharness-bin")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "hbharness")
	build := append(append([]string{"build"}, raceFlags...), "-o", binary, ".")
	if out, err := exec.Command("go", build...).CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building hbharness: %v\n%s", err, out)
		os.Exit(1)
	}
	// A race in a child process would go unseen in its stderr, which most
	// tests do not read: have the race detector write reports to files.
	races := filepath.Join(dir, "race")
	os.Setenv("GORACE", "log_path="+races)
	code := m.Run()
	if reports, _ := filepath.Glob(races + ".*"); len(reports) > 0 {
		for _, r := range reports {
			raw, _ := os.ReadFile(r)
			fmt.Fprintf(os.Stderr, "data race in a child hbharness (%s):\n%s\n", r, raw)
		}
		code = 1
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// cli runs the binary to completion and returns its exit code and output.
func cli(t *testing.T, env []string, args ...string) (int, string, string) {
	t.Helper()
	if startsWork(args) {
		testdeps.NeedsServices(t)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return code, stdout.String(), stderr.String()
}

// startsWork says whether the command line may reach the shared servers
// or run a scenario: every command but gc and report, unless it only asks
// for usage. The fast tier (-short) skips those tests.
func startsWork(args []string) bool {
	if len(args) == 0 || args[0] == "gc" || args[0] == "report" || args[0] == "history" || args[0] == "sim" {
		return false
	}
	return !slices.ContainsFunc(args, func(a string) bool { return a == "-h" || a == "--help" || a == "-help" })
}

// Asking a command for its usage is no error.
func TestHelpExits0(t *testing.T) {
	for _, args := range [][]string{{"run", "--help"}, {"suite", "-h"}, {"compare", "--help"}, {"serve", "-h"}, {"gc", "--help"}, {"report", "--help"}, {"--help"}} {
		code, stdout, stderr := cli(t, nil, args...)
		require.Equal(t, 0, code, "%v: stdout %s stderr %s", args, stdout, stderr)
		require.Contains(t, strings.ToLower(stdout+stderr), "usage", "%v prints its usage", args)
	}
}

func TestUsageErrorsExit2(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("name: bad\nduration: 10m\nfleet:\n  - {name: a, workers: 5, poll_every: 5}\n"), 0o644))
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no command", nil, "usage"},
		{"unknown command", []string{"launch"}, "unknown command"},
		{"unknown flag", []string{"run", "--scenari", "steady"}, "flag provided but not defined"},
		{"no scenario", []string{"run"}, "--scenario is required"},
		{"unknown scenario", []string{"run", "--scenario", "nope"}, "steady"},
		{"bad scenario file", []string{"run", "--scenario", bad}, "bad.yaml:4: fleet[0].poll_every"},
		{"bad time scale", []string{"run", "--scenario", "steady", "--time-scale", "5"}, "time"},
		{"bad strategy", []string{"run", "--scenario", "steady", "--strategy", "magic"}, "magic"},
		{"compare without strategies", []string{"compare", "--scenario", "steady"}, "--strategies"},
		{"remote target", []string{"run", "--scenario", "steady", "--target", "http://192.0.2.1:8000", "--token", "t", "--observe-db", "postgres://x@127.0.0.1/db"}, "--allow-remote"},
		{"target without db", []string{"run", "--scenario", "steady", "--target", "http://127.0.0.1:8000", "--token", "t"}, "--observe-db"},
		{"unknown time zone", []string{"run", "--scenario", "steady", "--target", "http://127.0.0.1:8000", "--token", "t",
			"--observe-db", "postgres://x@127.0.0.1/db", "--target-time-zone", "Mars/Olympus"}, `--target-time-zone: time zone "Mars/Olympus"`},
		{"unwritable output folder", []string{"run", "--scenario", "steady", "--out", "/proc/hbharness-nope"}, "output folder"},
		{"quick and a list", []string{"suite", "--quick", "--scenarios", "steady"}, "give one of them"},
		{"replay of nothing", []string{"run", "--replay", "/nonexistent/run"}, "--replay"},
		{"replay and a scenario", []string{"run", "--replay", "/nonexistent/run", "--scenario", "steady"}, "--replay"},
		{"serve bad strategy", []string{"serve", "--strategy", "magic"}, "magic"},
		{"serve bad policy", []string{"serve", "--failure-policy", "maybe"}, "maybe"},
		{"serve extra argument", []string{"serve", "now"}, "unexpected argument"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := cli(t, nil, c.args...)
			require.Equal(t, 2, code, "stdout: %s\nstderr: %s", stdout, stderr)
			require.Contains(t, stdout+stderr, c.want)
		})
	}
}

func TestServeNeedsPostgres(t *testing.T) {
	code, _, stderr := cli(t, []string{"DATABASE_URL=postgres://postgres:pw@127.0.0.1:1/x?sslmode=disable"}, "serve", "--seed", "default")
	require.Equal(t, 2, code)
	require.Contains(t, stderr, "not reachable")
	require.NotContains(t, stderr, ":pw@")
}

func TestVersionAndScenarios(t *testing.T) {
	code, out, _ := cli(t, nil, "version")
	require.Zero(t, code)
	require.Contains(t, out, "hbharness")
	code, out, _ = cli(t, nil, "scenarios")
	require.Zero(t, code)
	for _, name := range []string{"steady", "many-keys", "thundering-herd", "idle-workers", "jobs-finish",
		"sparse-polls", "too-sparse", "multi-replica", "ramp", "no-gate"} {
		require.Contains(t, out, name)
	}
}

// server is `hbharness serve` in its own process.
type server struct {
	url string
	cmd *exec.Cmd
}

var listening = regexp.MustCompile(`listening on (http://\S+)`)

func serve(t *testing.T, env *testenv.Env, extraEnv []string, args ...string) *server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, binary, append([]string{"serve", "--addr", "127.0.0.1:0", "--key-prefix", env.Prefix}, args...)...)
	cmd.Env = append(append(os.Environ(), "DATABASE_URL="+env.DSN, "REDIS_URL="+env.URLs.Redis), extraEnv...)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cancel()
			<-done
		}
		cancel()
	})
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				urls <- m[1]
			}
		}
	}()
	select {
	case u := <-urls:
		return &server{url: u, cmd: cmd}
	case <-time.After(30 * time.Second):
		t.Fatalf("serve did not start: %s", stderr.String())
		return nil
	}
}

func (s *server) post(t *testing.T, path, body string) int {
	req, err := http.NewRequest("POST", s.url+path, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Token dev-token")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// metric reads one sample from /metrics.
func (s *server) metric(t *testing.T, line string) string {
	resp, err := http.Get(s.url + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	for _, l := range strings.Split(string(raw), "\n") {
		if strings.HasPrefix(l, line+" ") {
			return strings.TrimPrefix(l, line+" ")
		}
	}
	return ""
}

// The four behaviours ported from the pull request, against `serve --seed
// default` over HTTP, read back through /metrics.
func TestServeAnswersThePortedBehaviours(t *testing.T) {
	env := testenv.New(t)
	s := serve(t, env, nil, "--seed", "default")
	require.Equal(t, 200, s.post(t, "/api/v2/jobs/1/tasks/", `{"batch_size":4}`))
	require.Equal(t, "1", s.metric(t, `heartbeat_dispatch_total{result="enqueued"}`), "/tasks dispatches")
	require.Eventually(t, func() bool { return s.metric(t, "heartbeat_rows_updated_total") == "3" }, 5*time.Second, 20*time.Millisecond)
	for range 4 {
		require.Equal(t, 200, s.post(t, "/api/v2/jobs/1/tasks/", `{"batch_size":4}`))
	}
	require.Equal(t, 200, s.post(t, "/api/v2/jobs/1/result/", `{"results":[{"reply_subject":"r","result":{}}]}`))
	require.Equal(t, "1", s.metric(t, `heartbeat_dispatch_total{result="enqueued"}`), "rapid calls collapse to one dispatch")
	require.Equal(t, "1", s.metric(t, `heartbeat_gate_total{result="won"}`))
	require.Equal(t, "5", s.metric(t, `heartbeat_gate_total{result="suppressed"}`))
	require.Equal(t, "1", s.metric(t, `heartbeat_task_total{result="ok"}`))
	require.Equal(t, "5", s.metric(t, `http_requests_total{code="200",route="tasks"}`))

	// /result dispatches too, once the window has passed: a fresh seed.
	s2 := serve(t, testenv.New(t), nil, "--seed", "default", "--time-scale", "0.01")
	require.Equal(t, 200, s2.post(t, "/api/v2/jobs/1/result/", `{"results":[{"reply_subject":"r","result":{}}]}`))
	require.Equal(t, "1", s2.metric(t, `heartbeat_dispatch_total{result="enqueued"}`), "/result dispatches")
}

func TestServeToleratesBrokerDown(t *testing.T) {
	env := testenv.New(t)
	s := serve(t, env, []string{"BROKER_URL=redis://127.0.0.1:1/0"}, "--seed", "default")
	require.Equal(t, 200, s.post(t, "/api/v2/jobs/1/tasks/", `{"batch_size":4}`), "starts and answers without a broker")
	require.Equal(t, "1", s.metric(t, `heartbeat_dispatch_total{result="error"}`))
}

// serve starts with NATS down, warning; /tasks answers 503 after its
// heartbeat, as Antenna's does, until NATS is back.
func TestServeToleratesNATSDown(t *testing.T) {
	env := testenv.New(t)
	seeded := serve(t, env, nil, "--seed", "default")
	require.NoError(t, seeded.cmd.Process.Signal(os.Interrupt))
	_ = seeded.cmd.Wait()
	s := serve(t, env, []string{"NATS_URL=nats://127.0.0.1:1"})
	require.Equal(t, 503, s.post(t, "/api/v2/jobs/1/tasks/", `{"batch_size":4}`))
	require.Equal(t, "1", s.metric(t, `task_reserve_total{result="unavailable"}`))
	require.Equal(t, "1", s.metric(t, `heartbeat_dispatch_total{result="enqueued"}`), "the heartbeat went first")
	require.Equal(t, 200, s.post(t, "/api/v2/jobs/1/result/", `{"results":[{"reply_subject":"r","result":{}}]}`), "results do not need NATS to be queued")
}

func TestServeReseedsTheSameDatabase(t *testing.T) {
	env := testenv.New(t)
	for range 2 {
		s := serve(t, env, nil, "--seed", "default")
		require.Equal(t, 200, s.post(t, "/api/v2/jobs/1/tasks/", `{"batch_size":1}`))
		require.NoError(t, s.cmd.Process.Signal(os.Interrupt))
		_ = s.cmd.Wait()
	}
}

// Done-when of the harness issue: the negative control fails its verdict.
func TestRunNoGateExits1NamingTheInvariant(t *testing.T) {
	out := t.TempDir()
	code, stdout, stderr := cli(t, nil, "run", "--scenario", "steady", "--strategy", "none", "--time-scale", "0.055", "--out", out)
	require.Equal(t, 1, code, "stdout: %s\nstderr: %s", stdout, stderr)
	require.Contains(t, stderr, "dispatch_at_most_one_per_window")
	f, err := os.Open(filepath.Join(out, runfolder.SummaryFile))
	require.NoError(t, err)
	defer f.Close()
	sum, err := summary.ReadJSON(f)
	require.NoError(t, err)
	require.False(t, sum.Passed)
	for _, name := range []string{runfolder.ReportFile, runfolder.JUnitFile} {
		_, err := os.Stat(filepath.Join(out, name))
		require.NoError(t, err)
	}
}

// A scenario file written by someone else, in the format of docs/design.md#scenario-files, runs as it is;
// and driven through external target mode against `serve` in another
// process it reaches the same verdicts as in-process.
func TestExternalTargetAgreesWithInProcess(t *testing.T) {
	file := filepath.Join(t.TempDir(), "visitor.yaml")
	require.NoError(t, os.WriteFile(file, []byte(`
name: visitor
description: written by hand, nothing special
duration: 4m
time_scale: 0.08
strategy: view-gate
settings: {throttle: 30s, offline_after: 60s, checker_every: 5s}
fixtures: {projects: 1, pipelines: 1, services_per_key: 3, jobs_per_key: 1}
fleet:
  - {name: adc, workers: 30, behaviour: active, poll_every: 5s, jitter: 1s, start: spread, batch_size: 8}
`), 0o644))
	// Both runs at one scale, the file's unless the machine is too busy
	// for it (gentler).
	gentler(t, 0.08, func(t *testing.T, scale string) string {
		inOut := t.TempDir()
		code, stdout, stderr := cli(t, nil, "run", "--scenario", file, "--out", inOut, "--time-scale", scale)
		if why := saturatedRun(code, stderr) + starvedRun(t, code, inOut); why != "" {
			return why
		}
		require.Equal(t, 0, code, "stdout: %s\nstderr: %s", stdout, stderr)

		env := testenv.New(t)
		s := serve(t, env, nil, "--seed", file, "--time-scale", scale)
		exOut := t.TempDir()
		code, stdout, stderr = cli(t, nil, "run", "--scenario", file, "--out", exOut,
			"--target", s.url, "--token", "dev-token", "--observe-db", env.DSN, "--slugs", "default", "--time-scale", scale)
		if why := saturatedRun(code, stderr) + starvedRun(t, code, exOut); why != "" {
			return why
		}
		require.Equal(t, 0, code, "stdout: %s\nstderr: %s", stdout, stderr)

		in, ex := readSummary(t, inOut), readSummary(t, exOut)
		require.Equal(t, "in-process", in.Target)
		require.Equal(t, s.url, ex.Target)
		for i, v := range in.Invariants {
			w := ex.Invariants[i]
			require.Equal(t, v.Name, w.Name)
			require.True(t, w.Passed, "%s: %s", w.Name, w.Detail)
			if v.Name == "observers_agree" {
				require.Equal(t, "n/a", string(w.Outcome))
				continue
			}
			require.Equal(t, v.Outcome, w.Outcome, "%s: in-process %q, external %q", v.Name, v.Detail, w.Detail)
		}
		return ""
	})
}

func readSummary(t *testing.T, dir string) summary.Summary {
	raw, err := os.ReadFile(filepath.Join(dir, runfolder.SummaryFile))
	require.NoError(t, err)
	var s summary.Summary
	require.NoError(t, json.Unmarshal(raw, &s))
	return s
}

// A random fault schedule is drawn from the seed and written to
// summary.json; --replay runs the scenario again with exactly that schedule
// and reaches the same verdicts.
func TestReplayRepeatsARandomSchedule(t *testing.T) {
	file := filepath.Join(t.TempDir(), "dice.yaml")
	require.NoError(t, os.WriteFile(file, []byte(`
name: dice
duration: 4m
time_scale: 0.03
settings: {checker_every: 5s}
fixtures: {projects: 1, pipelines: 2, services_per_key: 2, jobs_per_key: 1}
fleet:
  - {name: adc, workers: 6, behaviour: active, poll_every: 5s, jitter: 1s, start: spread, batch_size: 4}
faults:
  random: {kinds: [redis-evict, clock-skew], every: 1m, for: 20s..40s, offset: -5m}
`), 0o644))
	first := t.TempDir()
	code, stdout, stderr := cli(t, nil, "run", "--scenario", file, "--seed", "7", "--out", first)
	require.Contains(t, []int{0, 1}, code, "stdout: %s\nstderr: %s", stdout, stderr)
	again := t.TempDir()
	code, stdout, stderr = cli(t, nil, "run", "--replay", first, "--out", again)
	require.Contains(t, []int{0, 1}, code, "stdout: %s\nstderr: %s", stdout, stderr)

	a, b := readSummary(t, first), readSummary(t, again)
	require.Len(t, a.FaultSchedule, 3, "one fault per minute that fits in 4m")
	require.Equal(t, a.FaultSchedule, b.FaultSchedule, "the same schedule, applied again")
	require.Equal(t, int64(7), b.Seed)
	require.Equal(t, a.Scenario, b.Scenario)
	for i, v := range a.Invariants {
		require.Equal(t, v.Outcome, b.Invariants[i].Outcome, "%s: first %q, replayed %q", v.Name, v.Detail, b.Invariants[i].Detail)
	}
	code, _, stderr = cli(t, nil, "run", "--replay", filepath.Join(t.TempDir(), "missing"))
	require.Equal(t, 2, code)
	require.Contains(t, stderr, "--replay")
}
