package reference

import (
	"net"
	"time"

	"github.com/hbharness/hbharness/internal/modeltime"
	"github.com/hbharness/hbharness/internal/redisconn"
	"github.com/hbharness/hbharness/reference/broker"
	"github.com/hbharness/hbharness/reference/settings"
)

// KeepAlive is Antenna's TCP keepalive on the cache's and the broker's
// sockets (wall time: it is the kernel's, and only ever ends an idle
// connection whose peer vanished).
func KeepAlive() *net.KeepAliveConfig {
	return &net.KeepAliveConfig{Enable: true, Idle: settings.KeepAliveIdle,
		Interval: settings.KeepAliveInterval, Count: settings.KeepAliveCount}
}

// CacheTimeouts is Antenna's cache client (django-redis on redis-py; CACHES
// at config/settings/base.py:274-293): a 5 s connect timeout, keepalive, no
// read timeout unless s.RedisReadTimeout sets the fix, and no retry
// (IGNORE_EXCEPTIONS turns a failure into a miss). Timeouts are model time,
// converted on scale (never under modeltime.MinTimeout of wall time).
func CacheTimeouts(s settings.Settings, scale modeltime.Scale) redisconn.Timeouts {
	t := redisconn.Timeouts{Timeout: scale.Timeout(settings.RedisConnectTimeout), Retries: -1, KeepAlive: KeepAlive()}
	if s.RedisReadTimeout > 0 {
		t.Read = scale.Timeout(s.RedisReadTimeout)
	} else {
		t.NoRead = true
	}
	return t
}

// BrokerTiming is how .delay() waits on the broker, on scale: connecting
// within s.BrokerConnectTimeout (see there for why 4 s and not 40 s), a
// publish retried three times 0.2 s apart (Celery's task_publish_retry_policy),
// a consumer reconnecting after 2 s.
//
// One deviation, stated: Celery's publish waits for no acknowledgement
// (confirm_publish is off), so on an open connection it returns once the
// frame is written, and the request is held only while a connection has to
// be made. The reference's brokers wait for the broker to take the message
// (a Redis reply, a RabbitMQ confirm), so that a dispatch counted as
// enqueued was handed off; that wait is bounded by the same connect timeout.
// Under a broker that does not answer, the reference's request is therefore
// held up to that long on every enqueue, Celery's only on those that
// reconnect.
func BrokerTiming(s settings.Settings, scale modeltime.Scale) broker.Timing {
	return broker.Timing{
		Timeout:   scale.Timeout(s.BrokerConnectTimeout),
		Retry:     max(time.Millisecond, scale.Wall(broker.CeleryRetry)),
		Reconnect: max(time.Millisecond, scale.Wall(broker.CeleryReconnect)),
	}
}

// WorkerConnections is the most connections the task workers (one per
// worker per queue, as Celery's prefork children each keep one), the
// checker and the lock watch hold at once.
func WorkerConnections(s settings.Settings) int32 {
	queues := 1
	if s.HeartbeatQueue == settings.QueueSeparate {
		queues = 2
	}
	return int32(s.TaskWorkers*queues + 2)
}
