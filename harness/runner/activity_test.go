package runner

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/harness/fleet"
	"github.com/hbharness/hbharness/harness/history"
	"github.com/hbharness/hbharness/reference/contract"
	"github.com/hbharness/hbharness/reference/heartbeat"
	"github.com/hbharness/hbharness/scenarios"
)

func iv(a, b int) history.Interval {
	return history.Interval{From: time.Duration(a) * time.Second, To: time.Duration(b) * time.Second}
}

// With one project the tasks path and the list path mark the same services:
// a write goes to whichever of the two keys was being polled at the time.
func TestKeyOfPrefersTheActiveKey(t *testing.T) {
	keys := []contract.Key{{PipelineID: 1, ProjectID: 1, Slug: "default", Services: []int64{1, 2, 3}}}
	book := newKeyBook(keys)
	job := heartbeat.JobTarget(1, 1).GateKey()
	list := heartbeat.PipelinesTarget([]string{"default"}).GateKey()
	active := map[string][]history.Interval{job: {iv(0, 100)}, list: {iv(100, 200)}}
	require.Equal(t, job, book.keyOf([]int64{1, 2, 3}, 50*time.Second, active))
	require.Equal(t, list, book.keyOf([]int64{1, 2, 3}, 150*time.Second, active))
	require.Equal(t, heartbeat.ServiceTarget(2).GateKey(), book.keyOf([]int64{2}, 50*time.Second, active))
	require.Equal(t, "services:1,3", book.keyOf([]int64{1, 3}, 50*time.Second, active), "a set no key marks is named by its services")
}

// Workers that run out of work move from the job key to the list key; under
// per-service every poll counts for the caller's own service key.
func TestDeriveActivity(t *testing.T) {
	keys := []contract.Key{{PipelineID: 1, ProjectID: 1, Slug: "default", Services: []int64{1, 2}}}
	plan := []scenarios.WorkerPlan{{ID: 0, KeyIndex: 0, ServiceIndex: 0, Behaviour: "active"},
		{ID: 1, KeyIndex: 0, ServiceIndex: 1, Behaviour: "idle"}}
	polls := []workerPolls{{id: 0, first: 5 * time.Second, last: 100 * time.Second, wentIdle: 40 * time.Second},
		{id: 1, first: 10 * time.Second, last: 20 * time.Second, wentIdle: -1}}
	viewGate, err := contract.Scope("view-gate")
	require.NoError(t, err)
	act := deriveActivity(&scenarios.Spec{}, keys, plan, polls, viewGate, true)
	job := heartbeat.JobTarget(1, 1).GateKey()
	list := heartbeat.PipelinesTarget([]string{"default"}).GateKey()
	require.Equal(t, []history.Interval{iv(5, 40)}, act.keys[job])
	require.Equal(t, []history.Interval{iv(10, 20), iv(40, 100)}, act.keys[list])
	require.Equal(t, []history.Interval{iv(5, 100)}, act.services[1])
	require.Equal(t, []history.Interval{iv(10, 20)}, act.services[2])

	perService, err := contract.Scope("per-service")
	require.NoError(t, err)
	act = deriveActivity(&scenarios.Spec{}, keys, plan, polls, perService, true)
	require.Equal(t, []history.Interval{iv(5, 100)}, act.keys[heartbeat.ServiceTarget(1).GateKey()])
	require.Equal(t, []history.Interval{iv(10, 20)}, act.keys[heartbeat.ServiceTarget(2).GateKey()])
	require.Empty(t, act.keys[job])

	// Without tokens of their own, workers call as nobody in particular:
	// per-service falls back to what they polled.
	act = deriveActivity(&scenarios.Spec{}, keys, plan, polls, perService, false)
	require.Equal(t, []history.Interval{iv(5, 40)}, act.keys[job])
	require.Empty(t, act.keys[heartbeat.ServiceTarget(1).GateKey()])
}

// An active worker sent to the list by a /tasks that answered none polls
// the list key at that instant (lists within a poll gap of each other join
// up), and its job key throughout; such lists mark the same services, and a
// verdict that left them out would call the second write a violation.
func TestDeriveActivityActiveListsBetweenRounds(t *testing.T) {
	keys := []contract.Key{{PipelineID: 1, ProjectID: 1, Slug: "default", Services: []int64{1}}}
	plan := []scenarios.WorkerPlan{{ID: 0, KeyIndex: 0, ServiceIndex: 0, Behaviour: "active"}}
	tests := []struct {
		name  string
		polls workerPolls
		list  []history.Interval
	}{
		{name: "never listed", polls: workerPolls{first: 5 * time.Second, last: 100 * time.Second, wentIdle: -1}},
		{name: "lone list", polls: workerPolls{first: 5 * time.Second, last: 100 * time.Second, wentIdle: -1,
			listedWhileWorking: []time.Duration{37 * time.Second}}, list: []history.Interval{iv(37, 37)}},
		{name: "lists close together", polls: workerPolls{first: 5 * time.Second, last: 100 * time.Second, wentIdle: -1,
			listedWhileWorking: []time.Duration{30 * time.Second, 33 * time.Second, 80 * time.Second}}, list: []history.Interval{iv(30, 33), iv(80, 80)}},
		{name: "then idle", polls: workerPolls{first: 5 * time.Second, last: 100 * time.Second, wentIdle: 60 * time.Second,
			listedWhileWorking: []time.Duration{20 * time.Second, 60 * time.Second, 70 * time.Second}}, list: []history.Interval{iv(20, 20), iv(60, 100)}},
	}
	viewGate, err := contract.Scope("view-gate")
	require.NoError(t, err)
	spec := &scenarios.Spec{Fleet: []scenarios.Group{{Behaviour: scenarios.BehaviourActive, PollEvery: 5 * time.Second}}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.polls.id = 0
			act := deriveActivity(spec, keys, plan, []workerPolls{tc.polls}, viewGate, false)
			require.Equal(t, tc.list, act.keys[heartbeat.PipelinesTarget([]string{"default"}).GateKey()])
		})
	}
}

// An adc worker lists, works the job it was handed (that job's key, for the
// round) and lists again once the job is dry; one that never found work only
// listed, and one still working when it stopped never went back to listing.
func TestDeriveActivityADC(t *testing.T) {
	keys := []contract.Key{{PipelineID: 1, ProjectID: 1, Slug: "default", Services: []int64{1}, Jobs: []int64{1, 2}}}
	job := heartbeat.JobTarget(1, 1).GateKey()
	list := heartbeat.PipelinesTarget([]string{"default"}).GateKey()
	viewGate, err := contract.Scope("view-gate")
	require.NoError(t, err)
	round := func(job int64, from, to int) fleet.JobRound {
		return fleet.JobRound{Job: job, From: time.Duration(from) * time.Second, To: time.Duration(to) * time.Second}
	}
	tests := []struct {
		name      string
		polls     workerPolls
		job, list []history.Interval
	}{
		{name: "works, then idles", polls: workerPolls{first: 1 * time.Second, last: 300 * time.Second, wentIdle: 90 * time.Second,
			workedFrom: 2 * time.Second, workedTo: 90 * time.Second, rounds: []fleet.JobRound{round(1, 2, 90)}},
			job: []history.Interval{iv(2, 90)}, list: []history.Interval{iv(1, 2), iv(90, 300)}},
		{name: "never works", polls: workerPolls{first: 1 * time.Second, last: 300 * time.Second, wentIdle: -1, workedFrom: -1, workedTo: -1},
			list: []history.Interval{iv(1, 300)}},
		{name: "only dry rounds: the job key at those moments", polls: workerPolls{first: 1 * time.Second, last: 300 * time.Second,
			wentIdle: -1, workedFrom: -1, workedTo: -1, rounds: []fleet.JobRound{round(2, 10, 11), round(1, 40, 41)}},
			job: []history.Interval{iv(10, 11), iv(40, 41)}, list: []history.Interval{iv(1, 300)}},
		{name: "works to its stop", polls: workerPolls{first: 1 * time.Second, last: 200 * time.Second, wentIdle: -1,
			workedFrom: 2 * time.Second, workedTo: -1, rounds: []fleet.JobRound{round(1, 2, 200)}},
			job: []history.Interval{iv(2, 200)}, list: []history.Interval{iv(1, 2)}},
		// The task queue handed out none for the moment (max_ack_pending):
		// rounds end early and the worker lists between them, the list key
		// polled while it works; lists further apart than the gap are apart.
		// Between rounds the job key is not polled.
		{name: "lists between rounds", polls: workerPolls{first: 1 * time.Second, last: 300 * time.Second, wentIdle: 90 * time.Second,
			workedFrom: 2 * time.Second, workedTo: 90 * time.Second,
			listedWhileWorking: []time.Duration{10 * time.Second, 12 * time.Second, 14 * time.Second, 40 * time.Second},
			rounds:             []fleet.JobRound{round(1, 2, 10), round(2, 10, 12), round(1, 12, 14), round(1, 14, 40), round(2, 40, 90)}},
			job: []history.Interval{iv(2, 90)}, list: []history.Interval{iv(1, 2), iv(10, 14), iv(40, 40), iv(90, 300)}},
		{name: "a long sleep between rounds", polls: workerPolls{first: 1 * time.Second, last: 300 * time.Second, wentIdle: 30 * time.Second,
			workedFrom: 2 * time.Second, workedTo: 150 * time.Second,
			listedWhileWorking: []time.Duration{30 * time.Second, 35 * time.Second, 100 * time.Second},
			rounds:             []fleet.JobRound{round(1, 2, 30), round(2, 100, 150)}},
			job: []history.Interval{iv(2, 30), iv(100, 150)}, list: []history.Interval{iv(1, 2), iv(30, 35), iv(100, 100), iv(150, 300)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			plan := []scenarios.WorkerPlan{{ID: 0, Behaviour: scenarios.BehaviourADC}}
			// The real client's 5 s sleep: lists up to 5 s and a round trip apart are one stretch.
			spec := &scenarios.Spec{Fleet: []scenarios.Group{{Behaviour: scenarios.BehaviourADC, PollEvery: 5 * time.Second}}}
			act := deriveActivity(spec, keys, plan, []workerPolls{tc.polls}, viewGate, true)
			require.Equal(t, tc.job, act.keys[job])
			require.Equal(t, tc.list, act.keys[list])
			require.Equal(t, []history.Interval{{From: tc.polls.first, To: tc.polls.last}}, act.services[1])
		})
	}
}

// Without project_id, as the real client lists, a slug's jobs span every
// project's key: a worker planned on project 1's key that the list hands a
// project 2 job polls project 2's key for that round, and project 1's not at
// all then. The list key is the slug's, whichever job came of it.
func TestDeriveActivityADCAcrossKeys(t *testing.T) {
	keys := []contract.Key{
		{Index: 0, PipelineID: 1, ProjectID: 1, Slug: "default", Services: []int64{1}, Jobs: []int64{1, 2}},
		{Index: 1, PipelineID: 1, ProjectID: 2, Slug: "default", Services: []int64{2}, Jobs: []int64{3, 4}},
	}
	one, two := heartbeat.JobTarget(1, 1).GateKey(), heartbeat.JobTarget(1, 2).GateKey()
	list := heartbeat.PipelinesTarget([]string{"default"}).GateKey()
	viewGate, err := contract.Scope("view-gate")
	require.NoError(t, err)
	sec := func(n int) time.Duration { return time.Duration(n) * time.Second }
	plan := []scenarios.WorkerPlan{{ID: 0, KeyIndex: 0, Behaviour: scenarios.BehaviourADC},
		{ID: 1, KeyIndex: 1, Behaviour: scenarios.BehaviourADC}}
	polls := []workerPolls{
		{id: 0, first: sec(1), last: sec(100), wentIdle: sec(60), workedFrom: sec(2), workedTo: sec(60),
			rounds: []fleet.JobRound{{Job: 3, From: sec(2), To: sec(20)}, {Job: 1, From: sec(21), To: sec(60)}}},
		{id: 1, first: sec(1), last: sec(100), wentIdle: sec(40), workedFrom: sec(2), workedTo: sec(40),
			rounds: []fleet.JobRound{{Job: 4, From: sec(2), To: sec(40)}}},
	}
	spec := &scenarios.Spec{Fleet: []scenarios.Group{{Behaviour: scenarios.BehaviourADC, PollEvery: 5 * time.Second}}}
	act := deriveActivity(spec, keys, plan, polls, viewGate, true)
	require.Equal(t, []history.Interval{iv(21, 60)}, act.keys[one], "project 1's key only while a worker had its job")
	require.Equal(t, []history.Interval{iv(2, 40)}, act.keys[two], "project 2's key from both workers' rounds")
	require.Equal(t, []history.Interval{iv(1, 2), iv(40, 100)}, act.keys[list])
}
