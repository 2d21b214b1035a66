package scenarios

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// designStrategies are the strategy names of docs/design.md#strategies, as the runner passes them.
// vocab stands in for runner.ScenarioOptions(), which this package may not
// import: the names of docs/design.md#invariants, #strategies and the fault kinds. A runner test
// parses every built-in against the real registries.
func vocab() Options {
	return Options{
		Strategies: []string{"inline", "task-throttle", "view-gate", "view-gate-task-check",
			"per-service", "per-service-sync", "two-tier", "db-skip-locked", "none"},
		DefaultStrategy: "view-gate",
		Policies:        []string{"fail-closed", "fail-open", "fail-open-local"},
		DefaultPolicy:   "fail-closed",
		Invariants: []string{"dispatch_at_most_one_per_window", "dispatch_rate_near_expected", "last_seen_never_stale",
			"never_marked_offline_while_polled", "requests_succeed", "observers_agree", "no_false_liveness",
			"recovers_after_fault", "last_seen_not_in_future"},
		Outcomes: []string{"pass", "fail", "either"},
	}
}

// src strips the leading newline of a raw string literal, so line 1 of the
// scenario is the first line written in the test.
func src(s string) []byte { return []byte(strings.TrimPrefix(s, "\n")) }

// rejectCase is a scenario with one deliberate mistake and where it must be reported.
type rejectCase struct {
	name  string
	src   string
	line  int
	field string
	msg   string
}

// rejectCases also seed FuzzParse: each sits right at one validation edge.
func rejectCases() []rejectCase {
	return []rejectCase{
		{name: "unknown top-level field", src: `
name: x
duration: 10m
fleeet: []
fleet: [{name: a, workers: 1}]
`, line: 3, field: "fleeet", msg: `unknown field; did you mean fleet? (known fields: name, description, duration`},
		{name: "unknown group field", src: `
name: x
duration: 10m
fleet:
  - {name: a, workers: 1, polls_every: 5s}
`, line: 4, field: "fleet[0].polls_every", msg: "did you mean poll_every?"},
		{name: "bad duration", src: `
name: x
duration: 10 minutes
fleet: [{name: a, workers: 1}]
`, line: 2, field: "duration", msg: `"10 minutes" is not a duration (write it like 5s or 1m30s)`},
		{name: "bare number duration", src: `
name: x
duration: 10m
fleet:
  - name: a
    workers: 1
    poll_every: 5
`, line: 6, field: "fleet[0].poll_every", msg: `"5" is not a duration (write 5s, not 5)`},
		{name: "quoted bare number duration", src: `
name: x
duration: 10m
settings: {throttle: "30"}
fleet: [{name: a, workers: 1}]
`, line: 3, field: "settings.throttle", msg: "write 30s, not 30"},
		{name: "bare float duration", src: `
name: x
duration: 1.5
fleet: [{name: a, workers: 1}]
`, line: 2, field: "duration", msg: "write 1.5s, not 1.5"},
		{name: "negative duration", src: `
name: x
duration: 10m
fleet: [{name: a, workers: 1, start_at: -1m}]
`, line: 3, field: "fleet[0].start_at", msg: "negative"},
		{name: "zero duration", src: `
name: x
duration: 0s
fleet: [{name: a, workers: 1}]
`, line: 2, field: "duration", msg: "more than zero"},
		{name: "negative workers", src: `
name: x
duration: 10m
fleet:
  - name: a
    workers: -3
`, line: 5, field: "fleet[0].workers", msg: "-3 is too small: must be at least 1"},
		{name: "zero workers", src: `
name: x
duration: 10m
fleet: [{name: a, workers: 0}]
`, line: 3, field: "fleet[0].workers", msg: "at least 1"},
		{name: "missing workers", src: `
name: x
duration: 10m
fleet:
  - name: a
`, line: 4, field: "fleet[0].workers", msg: "is required"},
		{name: "too many workers", src: `
name: x
duration: 10m
fleet: [{name: a, workers: 99999999999}]
`, line: 3, field: "fleet[0].workers", msg: "too large"},
		{name: "jitter equal to poll_every", src: `
name: x
duration: 10m
fleet:
  - {name: a, workers: 1, poll_every: 5s, jitter: 5s}
`, line: 4, field: "fleet[0].jitter", msg: "jitter 5s must be shorter than poll_every 5s"},
		{name: "jitter past default poll_every", src: `
name: x
duration: 10m
fleet:
  - {name: a, workers: 1, jitter: 6s}
`, line: 4, field: "fleet[0].jitter", msg: "shorter than poll_every 5s"},
		{name: "throttle not below offline_after", src: `
name: x
duration: 10m
settings:
  throttle: 60s
  offline_after: 60s
fleet: [{name: a, workers: 1}]
`, line: 4, field: "settings.throttle", msg: "throttle 1m must be shorter than offline_after 1m"},
		{name: "offline_after below default throttle", src: `
name: x
duration: 10m
settings: {offline_after: 20s}
fleet: [{name: a, workers: 1}]
`, line: 3, field: "settings.offline_after", msg: "shorter than offline_after 20s"},
		{name: "sample_every above a quarter of throttle", src: `
name: x
duration: 10m
settings: {sample_every: 8s}
fleet: [{name: a, workers: 1}]
`, line: 3, field: "settings.sample_every", msg: "at most a quarter of throttle 30s"},
		{name: "task_workers zero", src: `
name: x
duration: 10m
settings: {task_workers: 0}
fleet: [{name: a, workers: 1}]
`, line: 3, field: "settings.task_workers", msg: "at least 1"},
		{name: "stop_at past duration", src: `
name: x
duration: 10m
fleet:
  - {name: a, workers: 1, stop_at: 11m}
`, line: 4, field: "fleet[0].stop_at", msg: "11m is past the end of the scenario (duration 10m)"},
		{name: "start_at not before stop_at", src: `
name: x
duration: 10m
fleet:
  - {name: a, workers: 1, start_at: 5m, stop_at: 5m}
`, line: 4, field: "fleet[0].start_at", msg: "5m must be before stop_at 5m"},
		{name: "start_at at the end", src: `
name: x
duration: 10m
fleet:
  - {name: a, workers: 1, start_at: 10m}
`, line: 4, field: "fleet[0].start_at", msg: "before stop_at 10m"},
		{name: "ramp_over without ramp start", src: `
name: x
duration: 10m
fleet:
  - {name: a, workers: 1, ramp_over: 1m}
`, line: 4, field: "fleet[0].ramp_over", msg: "only applies with start: ramp"},
		{name: "ramp_over longer than scenario", src: `
name: x
duration: 10m
fleet:
  - {name: a, workers: 1, start: ramp, ramp_over: 11m}
`, line: 4, field: "fleet[0].ramp_over", msg: "longer than the scenario"},
		{name: "unknown behaviour", src: `
name: x
duration: 10m
fleet:
  - {name: a, workers: 1, behaviour: activ}
`, line: 4, field: "fleet[0].behaviour", msg: `"activ" is not one of active, idle, adc; did you mean active?`},
		{name: "idle_every on an adc group", src: `
name: x
duration: 10m
fleet:
  - name: gpu
    workers: 8
    behaviour: adc
    idle_every: 10s
`, line: 7, field: "fleet[0].idle_every", msg: "only applies to behaviour: active; an adc worker sleeps poll_every when no listed job has work"},
		{name: "adc jitter not below its sleep", src: `
name: x
duration: 10m
fleet:
  - {name: gpu, workers: 8, behaviour: adc, jitter: 5s}
`, line: 4, field: "fleet[0].jitter", msg: "jitter 5s must be shorter than poll_every 5s"},
		{name: "adc batch_size zero", src: `
name: x
duration: 10m
fleet: [{name: gpu, workers: 1, behaviour: adc, batch_size: 0}]
`, line: 3, field: "fleet[0].batch_size", msg: "at least 1"},
		{name: "batch_size zero", src: `
name: x
duration: 10m
fleet: [{name: a, workers: 1, batch_size: 0}]
`, line: 3, field: "fleet[0].batch_size", msg: "at least 1"},
		{name: "fault past end", src: `
name: x
duration: 10m
fleet: [{name: a, workers: 1}]
faults:
  - {kind: broker-down, at: 9m, for: 2m}
`, line: 5, field: "faults[0].for", msg: "from 9m to 11m, past the end of the scenario (duration 10m)"},
		{name: "fault zero length", src: `
name: x
duration: 10m
fleet: [{name: a, workers: 1}]
faults:
  - {kind: redis-down, at: 1m, for: 0s}
`, line: 5, field: "faults[0].for", msg: "more than zero"},
		{name: "fault missing at", src: `
name: x
duration: 10m
fleet: [{name: a, workers: 1}]
faults:
  - {kind: redis-down, for: 1m}
`, line: 5, field: "faults[0].at", msg: "is required"},
		{name: "slow fault without latency", src: `
name: x
duration: 10m
fleet: [{name: a, workers: 1}]
faults:
  - {kind: db-slow, at: 1m, for: 1m}
`, line: 5, field: "faults[0].latency", msg: "is required for db-slow"},
		{name: "latency on an outage fault", src: `
name: x
duration: 10m
fleet: [{name: a, workers: 1}]
faults:
  - kind: broker-down
    at: 1m
    for: 1m
    latency: 100ms
`, line: 8, field: "faults[0].latency", msg: "only applies to broker-slow, redis-slow, db-slow and nats-slow, not broker-down"},
		{name: "unknown fault kind", src: `
name: x
duration: 10m
fleet: [{name: a, workers: 1}]
faults:
  - {kind: broker-flaky, at: 1m, for: 1m}
`, line: 5, field: "faults[0].kind", msg: `"broker-flaky" is not one of broker-down, broker-blackhole, broker-slow, redis-down`},
		{name: "unknown invariant in expect", src: `
name: x
duration: 10m
fleet: [{name: a, workers: 1}]
expect:
  last_seen_stale: fail
`, line: 5, field: "expect.last_seen_stale", msg: "unknown invariant; did you mean last_seen_never_stale?"},
		{name: "unknown outcome", src: `
name: x
duration: 10m
fleet: [{name: a, workers: 1}]
expect:
  requests_succeed: maybe
`, line: 5, field: "expect.requests_succeed", msg: `"maybe" is not one of pass, fail`},
		{name: "expect not a mapping", src: `
name: x
duration: 10m
fleet: [{name: a, workers: 1}]
expect: [requests_succeed]
`, line: 4, field: "expect", msg: "expected a mapping of invariant: pass|fail|either, got a list"},
		{name: "duplicate group names", src: `
name: x
duration: 10m
fleet:
  - {name: a, workers: 1}
  - {name: a, workers: 2}
`, line: 5, field: "fleet[1].name", msg: `group name "a" is used twice (first on line 4)`},
		{name: "duplicate attack names", src: `
name: x
duration: 10m
load:
  - {name: b, endpoint: tasks, rate: 1/s, duration: 1m}
  - {name: b, endpoint: list, rate: 1/s, duration: 1m}
`, line: 5, field: "load[1].name", msg: `attack name "b" is used twice`},
		{name: "field given twice", src: `
name: x
duration: 10m
duration: 5m
fleet: [{name: a, workers: 1}]
`, line: 3, field: "duration", msg: "given twice (first on line 2)"},
		{name: "unknown strategy", src: `
name: x
duration: 10m
strategy: view-gates
fleet: [{name: a, workers: 1}]
`, line: 3, field: "strategy", msg: `"view-gates" is not one of inline, task-throttle, view-gate,`},
		{name: "unknown failure policy", src: `
name: x
duration: 10m
failure_policy: fail-later
fleet: [{name: a, workers: 1}]
`, line: 3, field: "failure_policy", msg: "is not one of fail-closed, fail-open, fail-open-local"},
		{name: "empty file", src: ``, line: 0, field: "", msg: "the file is empty"},
		{name: "comments only", src: `
# nothing here
`, line: 0, field: "", msg: "the file is empty"},
		{name: "explicit null document", src: `
---
`, line: 0, field: "", msg: "the file is empty"},
		{name: "two documents", src: `
name: x
duration: 10m
fleet: [{name: a, workers: 1}]
---
name: y
`, line: 4, field: "", msg: "a second YAML document starts here"},
		{name: "not valid YAML", src: `
name: x
duration: [10m
fleet: [{name: a, workers: 1}]
`, line: 2, field: "", msg: "not valid YAML: did not find expected ',' or ']'"},
		{name: "not valid YAML (scanner)", src: `
name: x
duration: 10m
fleet: a: b
`, line: 3, field: "", msg: "not valid YAML: mapping values are not allowed"},
		{name: "tab indentation", src: `
name: x
duration: 10m
fleet:
	- {name: a, workers: 1}
`, line: 4, field: "", msg: "not valid YAML"},
		{name: "top level is a list", src: `
- name: x
`, line: 1, field: "", msg: "the top level must be a mapping"},
		{name: "wrong type: text for a count", src: `
name: x
duration: 10m
fleet: [{name: a, workers: lots}]
`, line: 3, field: "fleet[0].workers", msg: `expected a whole number, got the text "lots"`},
		{name: "wrong type: quoted count", src: `
name: x
duration: 10m
fleet: [{name: a, workers: "3"}]
`, line: 3, field: "fleet[0].workers", msg: "quoted text: write the whole number without quotes"},
		{name: "wrong type: fractional count", src: `
name: x
duration: 10m
fleet: [{name: a, workers: 2.5}]
`, line: 3, field: "fleet[0].workers", msg: "expected a whole number, got the number 2.5"},
		{name: "wrong type: mapping for a list", src: `
name: x
duration: 10m
fleet:
  adc: {workers: 1}
`, line: 4, field: "fleet", msg: "expected a list"},
		{name: "wrong type: list for a mapping", src: `
name: x
duration: 10m
settings: [30s]
fleet: [{name: a, workers: 1}]
`, line: 3, field: "settings", msg: "expected a mapping of fields (throttle, offline_after"},
		{name: "wrong type: list for a string", src: `
name: [x]
duration: 10m
fleet: [{name: a, workers: 1}]
`, line: 1, field: "name", msg: "expected a string, got a list"},
		{name: "wrong type: boolean for a duration", src: `
name: x
duration: true
fleet: [{name: a, workers: 1}]
`, line: 2, field: "duration", msg: "expected a duration like 5s or 1m30s, got the boolean true"},
		{name: "null value", src: `
name: x
duration: 10m
fleet:
  - name: a
    workers: 1
    poll_every:
`, line: 6, field: "fleet[0].poll_every", msg: "give a value, or remove the field to use the default"},
		{name: "key index out of range", src: `
name: x
duration: 10m
fixtures: {projects: 2, pipelines: 2}
fleet:
  - {name: a, workers: 1, keys: [0, 4]}
`, line: 5, field: "fleet[0].keys[1]", msg: "key index 4 is out of range: the fixtures make 4 keys"},
		{name: "negative key index", src: `
name: x
duration: 10m
fleet:
  - {name: a, workers: 1, keys: [-1]}
`, line: 4, field: "fleet[0].keys[0]", msg: "at least 0"},
		{name: "key index listed twice", src: `
name: x
duration: 10m
fixtures: {projects: 3}
fleet:
  - {name: a, workers: 1, keys: [1, 1]}
`, line: 5, field: "fleet[0].keys[1]", msg: "listed twice"},
		{name: "empty key list", src: `
name: x
duration: 10m
fleet:
  - {name: a, workers: 1, keys: []}
`, line: 4, field: "fleet[0].keys", msg: "is empty"},
		{name: "attack key out of range", src: `
name: x
duration: 10m
load:
  - {name: b, endpoint: tasks, rate: 1/s, duration: 1m, keys: [1]}
`, line: 4, field: "load[0].keys[0]", msg: "out of range"},
		{name: "time_scale zero", src: `
name: x
duration: 10m
time_scale: 0
fleet: [{name: a, workers: 1}]
`, line: 3, field: "time_scale", msg: "out of range: give a number in (0, 1]"},
		{name: "time_scale above one", src: `
name: x
duration: 10m
time_scale: 1.5
fleet: [{name: a, workers: 1}]
`, line: 3, field: "time_scale", msg: "out of range"},
		{name: "time_scale not a number", src: `
name: x
duration: 10m
time_scale: .nan
fleet: [{name: a, workers: 1}]
`, line: 3, field: "time_scale", msg: "out of range"},
		{name: "bad name", src: `
name: Steady_1
duration: 10m
fleet: [{name: a, workers: 1}]
`, line: 1, field: "name", msg: "may only use a-z, 0-9 and -"},
		{name: "missing name", src: `
duration: 10m
fleet: [{name: a, workers: 1}]
`, line: 1, field: "name", msg: "is required"},
		{name: "missing duration", src: `
name: x
fleet: [{name: a, workers: 1}]
`, line: 1, field: "duration", msg: "is required"},
		{name: "sends nothing", src: `
name: x
duration: 10m
fleet: []
`, line: 1, field: "fleet", msg: "the scenario sends nothing"},
		{name: "replicas zero", src: `
name: x
duration: 10m
replicas: 0
fleet: [{name: a, workers: 1}]
`, line: 3, field: "replicas", msg: "at least 1"},
		{name: "allowed_errors negative", src: `
name: x
duration: 10m
allowed_errors: -1
fleet: [{name: a, workers: 1}]
`, line: 3, field: "allowed_errors", msg: "at least 0"},
		{name: "allowed_errors for an endpoint that does not exist", src: `
name: x
duration: 10m
allowed_errors: {tasks: 0, results: 3}
fleet: [{name: a, workers: 1}]
`, line: 3, field: "allowed_errors.results", msg: "unknown field"},
		{name: "allowed_errors per endpoint negative", src: `
name: x
duration: 10m
allowed_errors: {result: -2}
fleet: [{name: a, workers: 1}]
`, line: 3, field: "allowed_errors.result", msg: "at least 0"},
		{name: "projects zero", src: `
name: x
duration: 10m
fixtures: {projects: 0}
fleet: [{name: a, workers: 1}]
`, line: 3, field: "fixtures.projects", msg: "at least 1"},
		{name: "tasks_per_job negative", src: `
name: x
duration: 10m
fixtures: {tasks_per_job: -1}
fleet: [{name: a, workers: 1}]
`, line: 3, field: "fixtures.tasks_per_job", msg: "at least 0"},
		{name: "too many keys", src: `
name: x
duration: 10m
fixtures: {projects: 10000, pipelines: 10000}
fleet: [{name: a, workers: 1}]
`, line: 3, field: "fixtures.pipelines", msg: "100000000 keys"},
		{name: "rate without unit", src: `
name: x
duration: 10m
load:
  - {name: b, endpoint: tasks, rate: 2000, duration: 1m}
`, line: 4, field: "load[0].rate", msg: "2000 has no unit (write it like 2000/s or 2000/m)"},
		{name: "rate with bad unit", src: `
name: x
duration: 10m
load:
  - {name: b, endpoint: tasks, rate: 5/h, duration: 1m}
`, line: 4, field: "load[0].rate", msg: "the unit after / must be s or m"},
		{name: "rate_to zero", src: `
name: x
duration: 10m
load:
  - {name: b, endpoint: tasks, rate: 5/s, rate_to: 0/s, duration: 1m}
`, line: 4, field: "load[0].rate_to", msg: "must be more than zero"},
		{name: "attack past end", src: `
name: x
duration: 10m
load:
  - {name: b, endpoint: result, rate: 5/s, start_at: 9m, duration: 2m}
`, line: 4, field: "load[0].duration", msg: "from 9m to 11m, past the end"},
		{name: "attack missing duration", src: `
name: x
duration: 10m
load:
  - {name: b, endpoint: result, rate: 5/s}
`, line: 4, field: "load[0].duration", msg: "is required"},
		{name: "unknown endpoint", src: `
name: x
duration: 10m
load:
  - {name: b, endpoint: jobs, rate: 5/s, duration: 1m}
`, line: 4, field: "load[0].endpoint", msg: `"jobs" is not one of tasks, result, list`},
		{name: "merge key", src: `
name: x
duration: 10m
fleet:
  - <<: {name: a}
    workers: 1
`, line: 4, field: "fleet[0]", msg: "merge keys (<<) are not supported"},
		{name: "alias to a wrong type", src: `
name: &n x
duration: 10m
fleet: [{name: a, workers: *n}]
`, line: 1, field: "fleet[0].workers", msg: `expected a whole number, got the text "x"`},
	}
}

func TestParseRejects(t *testing.T) {
	for _, tc := range rejectCases() {
		t.Run(tc.name, tc.check)
	}
}

// check parses tc's scenario and requires the one problem it plants, at its
// line and field, named with the file it came from.
func (tc rejectCase) check(t *testing.T) {
	t.Helper()
	const file = "scenarios/x.yaml"
	spec, err := Parse(src(tc.src), file, vocab())
	require.Error(t, err)
	require.Nil(t, spec)
	var verr *ValidationError
	require.True(t, errors.As(err, &verr), "error is %T, want *ValidationError", err)
	for _, p := range verr.Problems {
		if p.Line == tc.line && p.Field == tc.field && strings.Contains(p.Msg, tc.msg) {
			require.Equal(t, file, p.File)
			require.Contains(t, err.Error(), p.String())
			return
		}
	}
	t.Fatalf("no problem at line %d, field %q, containing %q; got:\n%v", tc.line, tc.field, tc.msg, err)
}

func TestParseErrorFormat(t *testing.T) {
	_, err := Parse(src(`
name: x
duration: 10m
fleet:
  - name: a
    workers: 1
    poll_every: "5"
`), "scenarios/x.yaml", vocab())
	require.EqualError(t, err, `scenarios/x.yaml:6: fleet[0].poll_every: "5" is not a duration (write 5s, not 5)`)
}

func TestParseCollectsEveryProblemInFileOrder(t *testing.T) {
	_, err := Parse(src(`
name: x
duration: 10m
settings: {throttle: 90s}
fleet:
  - {name: a, workers: 0, poll_every: 5}
  - {name: a, workers: 1, bogus: 1}
faults:
  - {kind: redis-slow, at: 1m, for: 1m}
`), "f.yaml", vocab())
	var verr *ValidationError
	require.ErrorAs(t, err, &verr)
	var got []string
	for _, p := range verr.Problems {
		got = append(got, fmt.Sprintf("%d %s", p.Line, p.Field))
	}
	require.Equal(t, []string{
		"3 settings.throttle",
		"5 fleet[0].workers",
		"5 fleet[0].poll_every",
		"6 fleet[1].bogus",
		"6 fleet[1].name",
		"8 faults[0].latency",
	}, got)
	require.Len(t, strings.Split(err.Error(), "\n"), len(got), "Error() prints one problem per line")
}

// Checked against no vocabulary, any name would pass: refuse instead.
func TestParseRefusesAnIncompleteVocabulary(t *testing.T) {
	file := src(`
name: x
duration: 10m
fleet: [{name: a, workers: 1}]
`)
	_, err := Parse(file, "f.yaml", Options{})
	require.ErrorContains(t, err, "runner.ScenarioOptions()")
	o := vocab()
	o.DefaultPolicy = "fail-sideways"
	_, err = Parse(file, "f.yaml", o)
	require.ErrorContains(t, err, "DefaultPolicy")
}

func TestParseAcceptsZeroWithoutUnitAndAliases(t *testing.T) {
	spec, err := Parse(src(`
name: x
duration: 10m
fixtures: {projects: 2, pipelines: 3}
fleet:
  - &g {name: a, workers: 5_000, start_at: 0, poll_every: 20s, jitter: 2s, keys: [0, 5]}
  - {name: b, workers: 2, behaviour: idle, keys: [5]}
expect: {requests_succeed: pass}
`), "f.yaml", vocab())
	require.NoError(t, err)
	require.Equal(t, 5000, spec.Fleet[0].Workers)
	require.Equal(t, []int{0, 5}, spec.Fleet[0].Keys)
	require.Equal(t, map[string]string{"requests_succeed": "pass"}, spec.Expect)
	require.Equal(t, 6, spec.Fixtures.Keys())
}
