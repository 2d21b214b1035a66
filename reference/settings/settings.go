// Package settings holds the reference's timing knobs (docs/design.md#scenario-files
// `settings:`) with their defaults and rules, in one place: scenario files,
// `hbharness serve` flags and the reference itself all start from Default
// and are checked by Problems. Durations are model time (docs/design.md#time-model).
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
	// CheckerEvery is how often the beat enqueues the offline check
	// (check_processing_services_online): every 5 min in Antenna, a crontab
	// of minute="*/5" (ami/ml/migrations/0018_add_processing_services_status_
	// check_celery_beat_task.py:8). The check then runs when a task worker
	// takes it from its queue (CheckerQueue).
	CheckerEvery time.Duration
	// CheckerExpires is how long a queued copy of the check may wait: a
	// worker that takes it later drops it unrun, and the next copy comes
	// CheckerEvery after the one dropped (expires=_BEAT_TASK_EXPIRES, 240 s:
	// ami/ml/tasks.py:105,108; Celery compares the message's expiry, set at
	// publish, with the worker's clock when the worker receives it).
	CheckerExpires time.Duration
	// CheckerQueue is where the check waits: CheckerOnHeartbeatQueue
	// (Antenna's: the task names no queue, so it goes to
	// CELERY_TASK_DEFAULT_QUEUE "antenna", config/settings/base.py:369, the
	// queue of the heartbeat tasks too, ami/jobs/tasks.py:44-50, and of
	// everything not routed away, base.py:436-447; under HeartbeatQueue
	// shared that is also the results' queue) or CheckerOnOwnQueue (a queue
	// and a task worker of its own, as issue #1229 proposes, so the check
	// never waits behind a backlog).
	CheckerQueue string
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

	// The web tier (reference/webtier): WebConcurrency is gunicorn's worker
	// processes per replica: WEB_CONCURRENCY, which the production
	// environment sets to 4 (.envs/.production/.django-example:141; the
	// start script falls back to the host's core count, compose/production/
	// django/start:9-13). It is the modelled host's, not this machine's: the
	// GIL is modelled (ViewCPU), not run. WebThreads is
	// how many requests one process runs at once; 0 is unbounded, which is
	// what Antenna's stack does: uvicorn's gunicorn worker sets no
	// limit_concurrency (uvicorn 0.22 workers.py:35-43), and Django 4.2's
	// ASGIHandler runs each request in a ThreadSensitiveContext of its own
	// (core/handlers/asgi.py __call__), so asgiref gives every request's sync
	// view a thread of its own (asgiref sync.py SyncToAsync.__call__: one
	// ThreadPoolExecutor(max_workers=1) per context). A bounded WebThreads
	// models another deployment (gunicorn's sync or gthread workers): the
	// replica then runs WebConcurrency*WebThreads requests at once and the
	// rest wait in a queue in front.
	WebConcurrency int
	WebThreads     int
	// ViewCPU is the Python CPU one request costs its worker process, held
	// under the process's GIL before the view's first I/O (model time): one
	// thread of a process runs Python at a time, so a process serves at
	// most 1/ViewCPU requests a second, and a burst queues for the GIL
	// before it reaches the database. 5 ms is what an Antenna-shaped /tasks
	// view (token auth, serializer, get_object, the gate, a JobLog insert)
	// costs on Debian's Django 3.2 and DRF 3.14 here, in-process 5.0 and
	// served 5.4 ms (scripts/calibrate-view-cpu); Antenna's own costs more
	// (New Relic's agent, nats-py, pydantic), unmeasured. 0 leaves CPU out.
	ViewCPU time.Duration
	// DBMaxConnections is what the database lets the web tier hold at once:
	// every request holds a connection of its own from the start of its view
	// to its end (ATOMIC_REQUESTS, config/settings/base.py:59; Django keeps a
	// connection per thread), and a request that finds none fails with a 500
	// (Django's OperationalError "sorry, too many clients already").
	// PostgreSQL's default max_connections is 100, less its 3
	// superuser_reserved_connections; 0 is no limit. A compressed run scales
	// it (webtier.AtScale): exact at real time only.
	DBMaxConnections int
	// RedisReadTimeout bounds a read on the cache client's connections.
	// Antenna sets none (CACHES OPTIONS has SOCKET_CONNECT_TIMEOUT but no
	// SOCKET_TIMEOUT: config/settings/base.py:274-293), so a blackholed
	// Redis holds a request, and its database connection, until the network
	// heals; 0 is Antenna's. A positive value is the fix.
	RedisReadTimeout time.Duration
	// JobLog is where job.logger lines go (the views log every delivered
	// batch and every queued result): JobLogTable, a row INSERTed into
	// jobs_joblog per line (ami/jobs/models.py:403-433 since PR #1259);
	// JobLogRow, an UPDATE of jobs_job.logs per line after re-reading it,
	// as when PR #1258 was written (JobLogHandler.emit at 0a87a3a4^:
	// refresh_from_db(fields=["logs"]) then save(update_fields=["logs"])),
	// which takes the job row's lock inside the request's transaction;
	// JobLogOff, JOB_LOG_PERSIST_ENABLED=false.
	JobLog string
	// BrokerConnectTimeout bounds .delay()'s connecting to the broker, the
	// TCP connect and the AMQP handshake both (py-amqp 5.3 connection.py:
	// 318-330 drains the handshake with timeout=connect_timeout). Antenna's
	// settings ask for 40 s (CELERY_BROKER_TRANSPORT_OPTIONS
	// socket_connect_timeout, config/settings/base.py:471), but that is the
	// Redis transport's option name: kombu 5.4.2's pyamqp transport passes
	// transport options as keyword arguments to amqp.Connection
	// (kombu/transport/pyamqp.py:190-203), whose **kwargs swallow the
	// unknown socket_connect_timeout and retry_on_timeout. What applies is
	// connect_timeout = Celery's broker_connection_timeout, 4 s by default
	// (celery 5.4.0 app/defaults.py:89; app/base.py:896), which Antenna does
	// not set. No read timeout is set (base.py:475 removed socket_timeout),
	// so once connected .delay() waits as long as the broker takes; it runs
	// in the request, which waits with it. Set 40s to see the audit's reading.
	BrokerConnectTimeout time.Duration
	// Cachalot models django-cachalot 2.6.3 (requirements/base.txt, in
	// INSTALLED_APPS at config/settings/base.py:95): every ORM read asks the
	// cache (Redis) first, and every write invalidates its table there, at
	// commit inside a transaction. Those Redis round trips sit on the request
	// path and in the heartbeat task. false leaves them out.
	Cachalot bool
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

// Job log destinations (JobLog).
const (
	JobLogTable = "table"
	JobLogRow   = "row"
	JobLogOff   = "off"
)

// JobLogs lists the destinations JobLog may name.
func JobLogs() []string { return []string{JobLogTable, JobLogRow, JobLogOff} }

// Queue topologies (HeartbeatQueue).
const (
	QueueShared   = "shared"
	QueueSeparate = "separate"
)

// HeartbeatQueues lists the topologies HeartbeatQueue may name.
func HeartbeatQueues() []string { return []string{QueueShared, QueueSeparate} }

// Where the offline check waits (CheckerQueue).
const (
	CheckerOnHeartbeatQueue = "heartbeat"
	CheckerOnOwnQueue       = "own"
)

// CheckerQueues lists the queues CheckerQueue may name.
func CheckerQueues() []string { return []string{CheckerOnHeartbeatQueue, CheckerOnOwnQueue} }

// The offline check's Celery time limits, fixed as Antenna's are
// (soft_time_limit=120, time_limit=150: ami/ml/tasks.py:108), model time.
const (
	CheckerSoftTimeLimit = 120 * time.Second
	CheckerTimeLimit     = 150 * time.Second
)

// RedisConnectTimeout is Antenna's cache client's connect timeout
// (SOCKET_CONNECT_TIMEOUT, config/settings/base.py:290): a Redis that does
// not accept a new connection costs a request this long, once.
const RedisConnectTimeout = 5 * time.Second

// TCP keepalive on the cache's and the broker's sockets
// (TCP_KEEPALIVE_OPTIONS, config/settings/base.py:265-269): the first probe
// after 60 s idle, then every 10 s, dead after 9 unanswered. It only ever
// ends an idle connection whose peer vanished; a read waiting on a peer
// that still acknowledges (a partition healed by retransmission, a proxy
// that holds bytes) it never ends.
const (
	KeepAliveIdle     = 60 * time.Second
	KeepAliveInterval = 10 * time.Second
	KeepAliveCount    = 9
)

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
		// The beat's crontab, the task's expiry and its queue: see the fields.
		CheckerEvery:   5 * time.Minute,
		CheckerExpires: 240 * time.Second,
		CheckerQueue:   CheckerOnHeartbeatQueue,
		JobCacheTTL:    time.Second,
		// CELERY_WORKER_CONCURRENCY's default (config/settings/base.py:457);
		// production sets 16 (.envs/.production/.django-example:28).
		TaskWorkers: 8,
		// Antenna routes result processing away from the heartbeat's queue.
		HeartbeatQueue:       QueueSeparate,
		TaskSoftTimeLimit:    10 * time.Second,
		TaskTimeLimit:        15 * time.Second,
		WebConcurrency:       4,
		WebThreads:           0,
		ViewCPU:              5 * time.Millisecond,
		DBMaxConnections:     100 - 3,
		JobLog:               JobLogTable,
		Cachalot:             true,
		BrokerConnectTimeout: 4 * time.Second,
		NatsTaskTTR:          NatsTaskTTR,
		NatsMaxDeliver:       NatsMaxDeliver,
		NatsMaxAckPending:    NatsMaxAckPending,
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
	if s.CheckerExpires <= 0 {
		add("checker_expires", "must be > 0 (how long a queued check may wait before a worker drops it), got %v", s.CheckerExpires)
	}
	if !slices.Contains(CheckerQueues(), s.CheckerQueue) {
		add("checker_queue", "must be one of %s, got %q", strings.Join(CheckerQueues(), ", "), s.CheckerQueue)
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
	if s.WebConcurrency < 1 {
		add("web_concurrency", "must be ≥ 1 (worker processes per replica), got %d", s.WebConcurrency)
	}
	if s.ViewCPU < 0 {
		add("view_cpu", "must be ≥ 0 (0: CPU not modelled), got %v", s.ViewCPU)
	}
	if s.WebThreads < 0 {
		add("web_threads", "must be ≥ 0 (0: unbounded, as Antenna's ASGI workers), got %d", s.WebThreads)
	}
	if s.DBMaxConnections < 0 {
		add("db_max_connections", "must be ≥ 0 (0: no limit), got %d", s.DBMaxConnections)
	}
	if s.RedisReadTimeout < 0 {
		add("redis_read_timeout", "must be ≥ 0 (0: none, as Antenna's cache client), got %v", s.RedisReadTimeout)
	}
	if s.BrokerConnectTimeout <= 0 {
		add("broker_connect_timeout", "must be > 0, got %v", s.BrokerConnectTimeout)
	}
	if !slices.Contains(JobLogs(), s.JobLog) {
		add("job_log", "must be one of %s, got %q", strings.Join(JobLogs(), ", "), s.JobLog)
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

// WebSlots is how many requests a replica runs at once; 0 is unbounded.
func (s Settings) WebSlots() int {
	if s.WebThreads == 0 {
		return 0
	}
	return s.WebConcurrency * s.WebThreads
}

// WebDBConnections is the share of DBMaxConnections the web tier can hold:
// the rest are the task workers' (a Celery prefork child keeps a
// connection of its own: one per worker, per queue), the beat's, and the
// check's own worker under CheckerOnOwnQueue. 0 is no limit.
func (s Settings) WebDBConnections() int {
	if s.DBMaxConnections == 0 {
		return 0
	}
	queues := 1
	if s.HeartbeatQueue == QueueSeparate {
		queues = 2
	}
	others := 1 // the beat
	if s.CheckerQueue == CheckerOnOwnQueue {
		others++
	}
	return max(1, s.DBMaxConnections-s.TaskWorkers*queues-others)
}
