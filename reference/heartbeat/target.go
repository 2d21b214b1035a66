// Package heartbeat holds the vocabulary shared by the request path, the
// strategies, the broker and the task workers: what a heartbeat marks
// (Target), the deferred work (Task) and what the reference reports (Event).
package heartbeat

import (
	"slices"
	"sync"
	"time"

	"github.com/hbharness/hbharness/reference/antenna"
)

// Kind says which of Antenna's three heartbeat paths (plus the per-service
// follow-up) a target came from; it decides the gate key and the rows updated.
type Kind string

const (
	// KindJob: /tasks and /result, every async service of the job's (pipeline, project).
	KindJob Kind = "job"
	// KindPipelines: the jobs list with pipeline__slug__in, every async service of those pipelines.
	KindPipelines Kind = "pipelines"
	// KindProject: the jobs list with only project_id, every async service of the project.
	KindProject Kind = "project"
	// KindService: the calling service alone (per-service strategy, own token).
	KindService Kind = "service"
)

// Target is the set of service rows one heartbeat marks live.
type Target struct {
	Kind       Kind     `json:"kind"`
	PipelineID int64    `json:"pipeline_id,omitempty"`
	ProjectID  int64    `json:"project_id,omitempty"`
	Slugs      []string `json:"slugs,omitempty"`
	ServiceID  int64    `json:"service_id,omitempty"`
}

// JobTarget is the /tasks and /result target.
func JobTarget(pipelineID, projectID int64) Target {
	return Target{Kind: KindJob, PipelineID: pipelineID, ProjectID: projectID}
}

// PipelinesTarget sorts the slugs so that the same slugs in any order share
// one gate key, as Antenna's key does; duplicates are kept, as upstream keeps
// them (ami/jobs/views.py:78), so "a,a" is a key of its own.
func PipelinesTarget(slugs []string) Target {
	return Target{Kind: KindPipelines, Slugs: antenna.SortedSlugs(slugs)}
}

// ProjectTarget is the list-path target without slugs.
func ProjectTarget(projectID int64) Target {
	return Target{Kind: KindProject, ProjectID: projectID}
}

// ServiceTarget is the per-service target.
func ServiceTarget(serviceID int64) Target {
	return Target{Kind: KindService, ServiceID: serviceID}
}

// GateKey is the target's Redis key in Antenna's scheme, without any run prefix.
func (t Target) GateKey() string {
	switch t.Kind {
	case KindJob:
		return antenna.JobKey(t.PipelineID, t.ProjectID)
	case KindPipelines:
		return antenna.PipelinesKey(t.Slugs)
	case KindProject:
		return antenna.ProjectKey(t.ProjectID)
	case KindService:
		return antenna.ServiceKey(t.ServiceID)
	}
	return "heartbeat:unknown"
}

// Task is the deferred heartbeat: the broker carries it, a task worker runs it.
type Task struct {
	Target Target `json:"target"`
	// DispatchID names the dispatch that enqueued the task; the write it
	// makes is tagged with it, so an observer can tell which dispatch wrote.
	DispatchID string `json:"dispatch_id,omitempty"`
	// Check makes the task skip the UPDATE when every row is already fresher
	// than the throttle window (task-throttle, view-gate-task-check).
	Check      bool      `json:"check,omitempty"`
	EnqueuedAt time.Time `json:"enqueued_at"`
}

// EventKind distinguishes the two things the reference reports.
type EventKind string

const (
	// EventDispatch: a heartbeat was dispatched (enqueued, or run inline).
	EventDispatch EventKind = "dispatch"
	// EventTask: a dispatch's task finished: Result says how.
	EventTask EventKind = "task"
	// EventCheck: a copy of the offline check, once when the beat enqueued
	// it (CheckEnqueued, or CheckUnsent when that failed) and once when a
	// worker took it (CheckRan, CheckDropped or CheckFailed); DispatchID
	// names the copy, Enqueued is when it was sent, Rows what it flipped.
	EventCheck EventKind = "check"
)

// Offline check outcomes (EventCheck).
const (
	CheckEnqueued = "enqueued"
	CheckUnsent   = "unsent"  // the beat could not enqueue it
	CheckRan      = "ran"     // a worker ran it
	CheckDropped  = "dropped" // a worker took it past its expiry and dropped it unrun
	CheckFailed   = "failed"  // it ran and failed (or was killed at its hard limit): nothing flipped
)

// Task results.
const (
	TaskWrote   = "wrote"
	TaskSkipped = "skipped" // every row fresh, or none to write
	TaskFailed  = "failed"
)

// Event is reported for every dispatch and every finished task, from Go and
// without scraping, so its counts need no parsing of /metrics.
type Event struct {
	Kind EventKind
	// At is, for a dispatch, when it was let through, by the clock of the
	// component that let it (Clock: "redis" for a Redis gate win, "process"
	// where this process decided); for a task, when it finished.
	At         time.Time
	Clock      string
	Key        string // gate key
	DispatchID string
	Result     string // EventTask: TaskWrote, TaskSkipped or TaskFailed; EventCheck: Check*
	Rows       int64  // rows written (EventTask), services flipped (EventCheck)
	Replica    int
	// Enqueued is when an EventCheck's copy was sent, by the beat's clock.
	Enqueued time.Time
}

// Sink receives events; it must not block the request path for long.
type Sink interface {
	Record(Event)
}

// Discard drops every event.
type Discard struct{}

func (Discard) Record(Event) {}

// Recorder keeps every event it is given, for whoever reads them after the
// fact: the harness's observers and the reference's own tests.
type Recorder struct {
	mu     sync.Mutex
	events []Event
}

// Record implements Sink.
func (r *Recorder) Record(e Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
}

// All returns a copy of every event so far.
func (r *Recorder) All() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events)
}
