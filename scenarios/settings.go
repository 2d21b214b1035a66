package scenarios

import (
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/hbharness/hbharness/reference/settings"
)

func settingsFields() []string {
	return []string{"throttle", "offline_after", "checker_every", "checker_expires", "checker_queue", "sample_every", "task_workers", "job_cache_ttl", "result_cost", "heartbeat_queue", "release_on_enqueue_failure",
		"web_concurrency", "web_threads", "db_max_connections", "redis_read_timeout", "job_log", "cachalot", "broker_connect_timeout", "view_cpu",
		"nats_task_ttr", "nats_max_deliver", "nats_max_ack_pending"}
}

// settings decodes settings: over settings.Default(). sample_every is the
// harness's own knob and comes back apart from the reference's.
func (d *decoder) settings(n *yaml.Node) (settings.Settings, time.Duration) {
	s, sampleEvery := settings.Default(), DefaultSampleEvery
	f, ok := d.mapping(n, "settings", settingsFields())
	if !ok {
		return s, sampleEvery
	}
	valid := true // the reference's own rules need every field decoded
	dur := func(name string, dst *time.Duration, positive bool) {
		if v, ok := f[name]; ok {
			if x, ok := d.duration(v, "settings."+name, positive); ok {
				*dst = x
			} else {
				valid = false
			}
		}
	}
	dur("throttle", &s.Throttle, true)
	dur("offline_after", &s.OfflineAfter, true)
	dur("checker_every", &s.CheckerEvery, true)
	dur("checker_expires", &s.CheckerExpires, true)
	dur("sample_every", &sampleEvery, true)
	dur("job_cache_ttl", &s.JobCacheTTL, false)
	dur("result_cost", &s.ResultCost, false)
	dur("nats_task_ttr", &s.NatsTaskTTR, true)
	dur("redis_read_timeout", &s.RedisReadTimeout, false)
	dur("broker_connect_timeout", &s.BrokerConnectTimeout, true)
	dur("view_cpu", &s.ViewCPU, false)
	integer := func(name string, dst *int, lowest int) {
		if v, ok := f[name]; ok {
			if x, ok := d.integer(v, "settings."+name, lowest); ok {
				*dst = x
			} else {
				valid = false
			}
		}
	}
	integer("task_workers", &s.TaskWorkers, 1)
	integer("web_concurrency", &s.WebConcurrency, 1)
	integer("web_threads", &s.WebThreads, 0)
	integer("db_max_connections", &s.DBMaxConnections, 0)
	integer("nats_max_deliver", &s.NatsMaxDeliver, 1)
	integer("nats_max_ack_pending", &s.NatsMaxAckPending, 1)
	boolean := func(name string, dst *bool) {
		if v, ok := f[name]; ok {
			if x, ok := d.boolean(v, "settings."+name); ok {
				*dst = x
			} else {
				valid = false
			}
		}
	}
	boolean("release_on_enqueue_failure", &s.ReleaseOnEnqueueFailure)
	boolean("cachalot", &s.Cachalot)
	enum := func(name string, dst *string, allowed []string) {
		if v, ok := f[name]; ok {
			if x, ok := d.enum(v, "settings."+name, allowed); ok {
				*dst = x
			} else {
				valid = false
			}
		}
	}
	enum("heartbeat_queue", &s.HeartbeatQueue, settings.HeartbeatQueues())
	enum("job_log", &s.JobLog, settings.JobLogs())
	enum("checker_queue", &s.CheckerQueue, settings.CheckerQueues())
	if !valid {
		return s, sampleEvery
	}
	at := func(names ...string) (*yaml.Node, string) {
		for _, name := range names {
			if v, ok := f[name]; ok {
				return resolve(v), "settings." + name
			}
		}
		return resolve(n), "settings"
	}
	for _, p := range s.Problems() {
		// A cross-field rule is blamed on whichever of its fields the file
		// wrote, throttle first.
		node, field := at(p.Field, "throttle", "offline_after")
		d.errorf(node, field, "%s", p.Msg)
	}
	if sampleEvery > s.Throttle/4 {
		node, field := at("sample_every", "throttle")
		d.errorf(node, field, "sample_every %s must be at most a quarter of throttle %s, or the sampler misses staleness between dispatches",
			fmtDuration(sampleEvery), fmtDuration(s.Throttle))
	}
	return s, sampleEvery
}
