// Package settings holds the reference's timing knobs (DESIGN.md §7
// `settings:`) with their defaults and rules, in one place: scenario files,
// `hbharness serve` flags and the reference itself all start from Default
// and are checked by Problems. Durations are model time (DESIGN.md §5).
package settings

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Settings are the knobs of one reference deployment.
type Settings struct {
	// Throttle is the gate window: the TTL of the SET NX key.
	Throttle time.Duration
	// OfflineAfter is PROCESSING_SERVICE_LAST_SEEN_MAX: a service whose
	// last_seen is older is offline.
	OfflineAfter time.Duration
	// CheckerEvery is the offline checker's period.
	CheckerEvery time.Duration
	// JobCacheTTL is how long a job row is served from memory; 0 disables it.
	JobCacheTTL time.Duration
	// TaskWorkers is the number of background task workers per replica.
	TaskWorkers int
	// ResultCost is how long a task worker spends on each queued result
	// (Antenna saves detections there); results share the queue with the
	// heartbeat tasks (under HeartbeatQueue shared), so a high cost backs
	// the queue up. 0: free.
	ResultCost time.Duration
	// HeartbeatQueue is the queue topology: Separate (Antenna's: result
	// processing is routed to queues of its own, with workers of their own,
	// so heartbeat tasks never wait behind results) or Shared (one queue and
	// one worker pool for both, which Antenna does not have).
	HeartbeatQueue string
	// TaskSoftTimeLimit and TaskTimeLimit are the heartbeat task's Celery
	// limits (soft_time_limit=10, time_limit=15 in Antenna): past the soft
	// one the task is reported, past the hard one it is killed and its
	// UPDATE rolled back. Not a scenario field: Antenna's values are fixed.
	TaskSoftTimeLimit time.Duration
	TaskTimeLimit     time.Duration
	// ReleaseOnEnqueueFailure gives the gate's window back when the
	// enqueue it won fails (DEL of the key), so the next poll tries again.
	// Antenna does not: a broker blip costs it the whole window.
	ReleaseOnEnqueueFailure bool
	// NatsTaskTTR is the task queue consumer's ack wait: how long a worker
	// has to acknowledge a reserved task before NATS hands it out again.
	NatsTaskTTR time.Duration
	// NatsMaxDeliver is how many times NATS delivers one task at most (the
	// first delivery and NatsMaxDeliver-1 redeliveries).
	NatsMaxDeliver int
	// NatsMaxAckPending is how many reserved, unacknowledged tasks one job's
	// consumer may have out at once; past it /tasks finds none.
	NatsMaxAckPending int
}

// Queue topologies (HeartbeatQueue).
const (
	QueueShared   = "shared"
	QueueSeparate = "separate"
)

// HeartbeatQueues lists the topologies HeartbeatQueue may name.
func HeartbeatQueues() []string { return []string{QueueShared, QueueSeparate} }

// RedisTimeout is Antenna's cache client's connect timeout: a blackholed
// Redis costs each request up to this long (DESIGN.md §1).
const RedisTimeout = 5 * time.Second

// Antenna's task queue (NATS JetStream) defaults. The ack wait is
// settings.NATS_TASK_TTR = 300 s (config/settings/base.py:328); the
// module's own fallback of 30 s (ami/ml/orchestration/nats_queue.py:49) only
// applies without that setting, so 300 s is what Antenna runs.
const (
	NatsTaskTTR       = 300 * time.Second
	NatsMaxDeliver    = 2    // nats_queue.py:57, NATS_MAX_DELIVER
	NatsMaxAckPending = 1000 // nats_queue.py:126, NATS_MAX_ACK_PENDING
)

// Default is Antenna's production values where Antenna has them (30 s
// throttle, 60 s offline window), and the reference's own otherwise.
func Default() Settings {
	return Settings{
		Throttle:     30 * time.Second,
		OfflineAfter: 60 * time.Second,
		CheckerEvery: 5 * time.Second,
		JobCacheTTL:  time.Second,
		TaskWorkers:  4,
		// Antenna routes result processing away from the heartbeat's queue.
		HeartbeatQueue:    QueueSeparate,
		TaskSoftTimeLimit: 10 * time.Second,
		TaskTimeLimit:     15 * time.Second,
		NatsTaskTTR:       NatsTaskTTR,
		NatsMaxDeliver:    NatsMaxDeliver,
		NatsMaxAckPending: NatsMaxAckPending,
	}
}

// Problem is one broken rule, named by the setting to blame as a scenario
// file spells it (throttle, offline_after, ...).
type Problem struct {
	Field string
	Msg   string
}

func (p Problem) Error() string { return p.Field + ": " + p.Msg }

// Problems lists every rule s breaks; none means s is usable.
func (s Settings) Problems() []Problem {
	var out []Problem
	add := func(field, format string, a ...any) {
		out = append(out, Problem{Field: field, Msg: fmt.Sprintf(format, a...)})
	}
	if s.Throttle <= 0 {
		add("throttle", "must be > 0, got %v", s.Throttle)
	}
	if s.OfflineAfter <= 0 {
		add("offline_after", "must be > 0, got %v", s.OfflineAfter)
	}
	if s.CheckerEvery <= 0 {
		add("checker_every", "must be > 0, got %v", s.CheckerEvery)
	}
	if s.JobCacheTTL < 0 {
		add("job_cache_ttl", "must be ≥ 0 (0 disables the cache), got %v", s.JobCacheTTL)
	}
	if s.TaskWorkers < 1 {
		add("task_workers", "must be ≥ 1, got %d", s.TaskWorkers)
	}
	if s.ResultCost < 0 {
		add("result_cost", "must be ≥ 0, got %v", s.ResultCost)
	}
	if !slices.Contains(HeartbeatQueues(), s.HeartbeatQueue) {
		add("heartbeat_queue", "must be one of %s, got %q", strings.Join(HeartbeatQueues(), ", "), s.HeartbeatQueue)
	}
	if s.TaskSoftTimeLimit <= 0 {
		add("task_soft_time_limit", "must be > 0, got %v", s.TaskSoftTimeLimit)
	}
	if s.TaskTimeLimit <= 0 {
		add("task_time_limit", "must be > 0, got %v", s.TaskTimeLimit)
	}
	if s.TaskSoftTimeLimit > 0 && s.TaskTimeLimit > 0 && s.TaskSoftTimeLimit > s.TaskTimeLimit {
		add("task_soft_time_limit", "soft time limit %s must not be past the hard time limit %s",
			short(s.TaskSoftTimeLimit), short(s.TaskTimeLimit))
	}
	if s.NatsTaskTTR <= 0 {
		add("nats_task_ttr", "must be > 0, got %v", s.NatsTaskTTR)
	}
	if s.NatsMaxDeliver < 1 {
		add("nats_max_deliver", "must be ≥ 1 (one delivery, no redelivery), got %d", s.NatsMaxDeliver)
	}
	if s.NatsMaxAckPending < 1 {
		add("nats_max_ack_pending", "must be ≥ 1, got %d", s.NatsMaxAckPending)
	}
	if s.Throttle > 0 && s.OfflineAfter > 0 && s.Throttle >= s.OfflineAfter {
		add("throttle", "throttle %s must be shorter than offline_after %s, or a service polled just after each dispatch still goes offline",
			short(s.Throttle), short(s.OfflineAfter))
	}
	return out
}

// Validate joins every problem into one error, nil when there is none.
func (s Settings) Validate() error {
	var errs []error
	for _, p := range s.Problems() {
		errs = append(errs, p)
	}
	return errors.Join(errs...)
}

// short writes a duration as people write them in scenario files: 1m, not 1m0s.
func short(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
