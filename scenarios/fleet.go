package scenarios

import (
	"fmt"
	"time"

	"go.yaml.in/yaml/v3"
)

func groupFields() []string {
	return []string{"name", "workers", "behaviour", "poll_every", "idle_every", "jitter", "start",
		"ramp_over", "start_at", "stop_at", "crash_at", "batch_size", "keys", "services", "register"}
}

// fleet decodes the closed-model groups. total is the scenario duration (0 if
// invalid: schedule checks are then skipped) and keys the key count (0 if unknown).
// It returns one Group per item written, and ok=false when fleet is not a list.
func (d *decoder) fleet(n *yaml.Node, total time.Duration, keys, servicesPerKey int) ([]Group, bool) {
	items, ok := d.sequence(n, "fleet")
	if !ok {
		return nil, false
	}
	groups := make([]Group, 0, len(items))
	names := map[string]int{}
	for i, item := range items {
		path := fmt.Sprintf("fleet[%d]", i)
		g := d.group(item, path, total, keys, servicesPerKey)
		if g.Name != "" {
			if first, dup := names[g.Name]; dup {
				d.errorf(resolve(item), path+".name", "group name %q is used twice (first on line %d): names must be unique", g.Name, first)
			} else {
				names[g.Name] = resolve(item).Line
			}
		}
		groups = append(groups, g)
	}
	return groups, true
}

func (d *decoder) group(n *yaml.Node, path string, total time.Duration, keys, servicesPerKey int) Group {
	g := Group{
		Behaviour: DefaultBehaviour,
		Start:     DefaultStart,
		BatchSize: DefaultBatchSize,
		PollEvery: DefaultPollEvery,
		IdleEvery: DefaultIdleEvery,
		StopAt:    total,
	}
	f, ok := d.mapping(n, path, groupFields())
	if !ok {
		return g
	}
	at := func(name string) string { return path + "." + name }
	if v, ok := f["name"]; ok {
		g.Name, _ = d.str(v, at("name"))
	} else {
		d.errorf(resolve(n), at("name"), "is required")
	}
	if v, ok := f["workers"]; ok {
		g.Workers, _ = d.integer(v, at("workers"), 1)
	} else {
		d.errorf(resolve(n), at("workers"), "is required (how many workers this group runs, at least 1)")
	}
	if v, ok := f["behaviour"]; ok {
		if x, ok := d.enum(v, at("behaviour"), enumBehaviour()); ok {
			g.Behaviour = x
		}
	}
	if g.Behaviour == BehaviourADC {
		g.BatchSize, g.PollEvery = DefaultADCBatchSize, DefaultADCPollEvery
	}
	if v, ok := f["start"]; ok {
		if x, ok := d.enum(v, at("start"), enumStart()); ok {
			g.Start = x
		}
	}
	if v, ok := f["batch_size"]; ok {
		if x, ok := d.integer(v, at("batch_size"), 1); ok {
			g.BatchSize = x
		}
	}
	if v, ok := f["keys"]; ok {
		g.Keys, _ = d.keyList(v, at("keys"), keys)
	}
	if v, ok := f["services"]; ok {
		g.Services, _ = d.indexList(v, at("services"), servicesPerKey, "service",
			"each key has %d services (services_per_key), so indexes run 0 to %d")
	}
	if v, ok := f["register"]; ok {
		g.Register, _ = d.boolean(v, at("register"))
	}

	pollOK, jitterOK := true, true
	if v, ok := f["poll_every"]; ok {
		if x, ok := d.duration(v, at("poll_every"), true); ok {
			g.PollEvery = x
		} else {
			pollOK = false
		}
	}
	if v, ok := f["idle_every"]; ok {
		if g.Behaviour == BehaviourADC {
			// The real client has one sleep, taken when no listed job had work.
			d.errorf(resolve(v), at("idle_every"), "only applies to behaviour: active; an adc worker sleeps poll_every when no listed job has work")
		} else if x, ok := d.duration(v, at("idle_every"), true); ok {
			g.IdleEvery = x
		}
	}
	if v, ok := f["jitter"]; ok {
		g.Jitter, jitterOK = d.duration(v, at("jitter"), false)
	}
	if pollOK && jitterOK && g.Jitter >= g.PollEvery {
		node, field := resolve(n), at("jitter")
		if v, ok := f["jitter"]; ok {
			node = resolve(v)
		}
		d.errorf(node, field, "jitter %s must be shorter than poll_every %s", fmtDuration(g.Jitter), fmtDuration(g.PollEvery))
	}

	if v, ok := f["ramp_over"]; ok {
		if g.Start != StartRamp {
			d.errorf(resolve(v), at("ramp_over"), "only applies with start: ramp (this group starts %s)", g.Start)
		} else if x, ok := d.duration(v, at("ramp_over"), true); ok {
			g.RampOver = x
			if total > 0 && x > total {
				d.errorf(resolve(v), at("ramp_over"), "%s is longer than the scenario (duration %s)", fmtDuration(x), fmtDuration(total))
			}
		}
	} else if g.Start == StartRamp {
		g.RampOver = total
	}

	d.window(n, f, path, total, &g.StartAt, &g.StopAt)
	if v, ok := f["crash_at"]; ok {
		if x, ok := d.duration(v, at("crash_at"), true); ok {
			switch {
			case x <= g.StartAt:
				d.errorf(resolve(v), at("crash_at"), "%s must be after start_at %s", fmtDuration(x), fmtDuration(g.StartAt))
			case x >= g.StopAt:
				d.errorf(resolve(v), at("crash_at"), "%s must be before the group stops (%s): a crash after a stop never happens",
					fmtDuration(x), fmtDuration(g.StopAt))
			default:
				g.CrashAt = x
			}
		}
	}
	return g
}

// window reads start_at/stop_at and checks start_at < stop_at <= total.
func (d *decoder) window(n *yaml.Node, f map[string]*yaml.Node, path string, total time.Duration, start, stop *time.Duration) {
	startOK, stopOK := true, true
	if v, ok := f["start_at"]; ok {
		*start, startOK = d.duration(v, path+".start_at", false)
	}
	if v, ok := f["stop_at"]; ok {
		*stop, stopOK = d.duration(v, path+".stop_at", true)
	}
	if total == 0 || !startOK || !stopOK {
		return
	}
	if *stop > total {
		d.errorf(resolve(f["stop_at"]), path+".stop_at", "%s is past the end of the scenario (duration %s)", fmtDuration(*stop), fmtDuration(total))
		return
	}
	if *start >= *stop {
		node := resolve(n)
		if v, ok := f["start_at"]; ok {
			node = resolve(v)
		}
		d.errorf(node, path+".start_at", "%s must be before stop_at %s", fmtDuration(*start), fmtDuration(*stop))
	}
}
