package scenarios

import (
	"time"

	"go.yaml.in/yaml/v3"
)

func settingsFields() []string {
	return []string{"throttle", "offline_after", "checker_every", "sample_every", "task_workers", "job_cache_ttl", "result_cost"}
}

func (d *decoder) settings(n *yaml.Node) Settings {
	s := Settings{
		Throttle:     DefaultThrottle,
		OfflineAfter: DefaultOfflineAfter,
		CheckerEvery: DefaultCheckerEvery,
		SampleEvery:  DefaultSampleEvery,
		TaskWorkers:  DefaultTaskWorkers,
		JobCacheTTL:  DefaultJobCacheTTL,
	}
	f, ok := d.mapping(n, "settings", settingsFields())
	if !ok {
		return s
	}
	valid := true // the cross-field checks below need both sides valid
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
	dur("sample_every", &s.SampleEvery, true)
	dur("job_cache_ttl", &s.JobCacheTTL, false)
	dur("result_cost", &s.ResultCost, false)
	if v, ok := f["task_workers"]; ok {
		if x, ok := d.integer(v, "settings.task_workers", 1); ok {
			s.TaskWorkers = x
		}
	}
	if !valid {
		return s
	}
	at := func(names ...string) (*yaml.Node, string) {
		for _, name := range names {
			if v, ok := f[name]; ok {
				return resolve(v), "settings." + name
			}
		}
		return resolve(n), "settings"
	}
	if s.Throttle >= s.OfflineAfter {
		node, field := at("throttle", "offline_after")
		d.errorf(node, field, "throttle %s must be shorter than offline_after %s, or a service polled just after each dispatch still goes offline",
			fmtDuration(s.Throttle), fmtDuration(s.OfflineAfter))
	}
	if s.SampleEvery > s.Throttle/4 {
		node, field := at("sample_every", "throttle")
		d.errorf(node, field, "sample_every %s must be at most a quarter of throttle %s, or the sampler misses staleness between dispatches",
			fmtDuration(s.SampleEvery), fmtDuration(s.Throttle))
	}
	return s
}
