package settings

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestDefaultIsUsable(t *testing.T) {
	require.Empty(t, Default().Problems())
	require.Equal(t, 30*time.Second, Default().Throttle, "Antenna's window")
	require.Equal(t, 60*time.Second, Default().OfflineAfter, "PROCESSING_SERVICE_LAST_SEEN_MAX")
	require.Equal(t, 10*time.Second, Default().TaskSoftTimeLimit, "the heartbeat task's soft_time_limit")
	require.Equal(t, 15*time.Second, Default().TaskTimeLimit, "the heartbeat task's time_limit")
	require.Equal(t, QueueSeparate, Default().HeartbeatQueue, "Antenna routes results to other queues")
	require.Equal(t, 8, Default().TaskWorkers, "CELERY_WORKER_CONCURRENCY's default")
	require.Zero(t, Default().WebThreads, "uvicorn workers run every request at once")
	require.Equal(t, 5*time.Millisecond, Default().ViewCPU, "measured for an Antenna-shaped view (scripts/calibrate-view-cpu)")
	require.Equal(t, 4, Default().WebConcurrency, "the production environment's WEB_CONCURRENCY")
	require.Zero(t, Default().RedisReadTimeout, "Antenna's cache sets no socket timeout")
	require.Equal(t, JobLogTable, Default().JobLog, "jobs_joblog since PR #1259")
	require.True(t, Default().Cachalot, "cachalot is in INSTALLED_APPS")
	require.Equal(t, 5*time.Minute, Default().CheckerEvery, "the beat's crontab */5 (ml migration 0018)")
	require.Equal(t, 240*time.Second, Default().CheckerExpires, "_BEAT_TASK_EXPIRES (ami/ml/tasks.py:105)")
	require.Equal(t, CheckerOnHeartbeatQueue, Default().CheckerQueue, "the default queue, the heartbeat tasks' own")
	require.Equal(t, 120*time.Second, CheckerSoftTimeLimit, "soft_time_limit=120 (ami/ml/tasks.py:108)")
	require.Equal(t, 150*time.Second, CheckerTimeLimit, "time_limit=150 (ami/ml/tasks.py:108)")
}

func TestWebShares(t *testing.T) {
	tests := []struct {
		name        string
		edit        func(*Settings)
		slots, conn int
	}{
		{"Antenna's defaults: unbounded slots, what the workers leave of 97", func(*Settings) {}, 0, 97 - 16 - 1},
		{"sync workers", func(s *Settings) { s.WebConcurrency, s.WebThreads = 2, 1 }, 2, 80},
		{"gthread workers, shared queue", func(s *Settings) {
			s.WebConcurrency, s.WebThreads, s.HeartbeatQueue = 2, 4, QueueShared
		}, 8, 97 - 8 - 1},
		{"the check on a worker of its own takes one more", func(s *Settings) { s.CheckerQueue = CheckerOnOwnQueue }, 0, 97 - 16 - 2},
		{"no connection limit", func(s *Settings) { s.DBMaxConnections = 0 }, 0, 0},
		{"workers take them all: one is left", func(s *Settings) { s.DBMaxConnections = 5 }, 0, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := Default()
			tc.edit(&s)
			require.Equal(t, tc.slots, s.WebSlots())
			require.Equal(t, tc.conn, s.WebDBConnections())
		})
	}
	require.Equal(t, 300*time.Second, Default().NatsTaskTTR, "settings.NATS_TASK_TTR, not nats_queue.py's fallback of 30 s")
	require.Equal(t, 2, Default().NatsMaxDeliver, "NATS_MAX_DELIVER")
	require.Equal(t, 1000, Default().NatsMaxAckPending, "NATS_MAX_ACK_PENDING")
}

func TestProblemsNameTheSetting(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(*Settings)
		field string
	}{
		{"no window", func(s *Settings) { s.Throttle = 0 }, "throttle"},
		{"window not shorter than offline", func(s *Settings) { s.Throttle = s.OfflineAfter }, "throttle"},
		{"no offline window", func(s *Settings) { s.OfflineAfter = -time.Second }, "offline_after"},
		{"no checker", func(s *Settings) { s.CheckerEvery = 0 }, "checker_every"},
		{"no checker expiry", func(s *Settings) { s.CheckerExpires = 0 }, "checker_expires"},
		{"negative checker expiry", func(s *Settings) { s.CheckerExpires = -time.Second }, "checker_expires"},
		{"no checker queue", func(s *Settings) { s.CheckerQueue = "" }, "checker_queue"},
		{"unknown checker queue", func(s *Settings) { s.CheckerQueue = "antenna" }, "checker_queue"},
		{"no workers", func(s *Settings) { s.TaskWorkers = 0 }, "task_workers"},
		{"negative cache", func(s *Settings) { s.JobCacheTTL = -1 }, "job_cache_ttl"},
		{"negative cost", func(s *Settings) { s.ResultCost = -1 }, "result_cost"},
		{"no queue topology", func(s *Settings) { s.HeartbeatQueue = "" }, "heartbeat_queue"},
		{"unknown queue topology", func(s *Settings) { s.HeartbeatQueue = "default" }, "heartbeat_queue"},
		{"no soft limit", func(s *Settings) { s.TaskSoftTimeLimit = 0 }, "task_soft_time_limit"},
		{"no hard limit", func(s *Settings) { s.TaskTimeLimit = -time.Second }, "task_time_limit"},
		{"soft past hard", func(s *Settings) { s.TaskSoftTimeLimit = 16 * time.Second }, "task_soft_time_limit"},
		{"no web process", func(s *Settings) { s.WebConcurrency = 0 }, "web_concurrency"},
		{"negative threads", func(s *Settings) { s.WebThreads = -1 }, "web_threads"},
		{"negative view CPU", func(s *Settings) { s.ViewCPU = -time.Millisecond }, "view_cpu"},
		{"negative connections", func(s *Settings) { s.DBMaxConnections = -1 }, "db_max_connections"},
		{"negative read timeout", func(s *Settings) { s.RedisReadTimeout = -time.Second }, "redis_read_timeout"},
		{"unknown job log", func(s *Settings) { s.JobLog = "stdout" }, "job_log"},
		{"no broker connect timeout", func(s *Settings) { s.BrokerConnectTimeout = 0 }, "broker_connect_timeout"},
		{"no ack wait", func(s *Settings) { s.NatsTaskTTR = 0 }, "nats_task_ttr"},
		{"no delivery", func(s *Settings) { s.NatsMaxDeliver = 0 }, "nats_max_deliver"},
		{"no task out", func(s *Settings) { s.NatsMaxAckPending = -1 }, "nats_max_ack_pending"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := Default()
			tc.edit(&s)
			ps := s.Problems()
			require.Len(t, ps, 1, "%v", ps)
			require.Equal(t, tc.field, ps[0].Field)
		})
	}
}

func TestLimitsMayMeet(t *testing.T) {
	s := Default()
	s.TaskSoftTimeLimit = s.TaskTimeLimit
	require.Empty(t, s.Problems(), "soft = hard is allowed")
	s.HeartbeatQueue = QueueShared
	require.Empty(t, s.Problems())
}
