package scenarios

import (
	"fmt"
	"time"

	"go.yaml.in/yaml/v3"
)

func faultFields() []string {
	return []string{"kind", "at", "for", "latency"}
}

func (d *decoder) faults(n *yaml.Node, total time.Duration) []Fault {
	items, ok := d.sequence(n, "faults")
	if !ok {
		return nil
	}
	out := make([]Fault, 0, len(items))
	for i, item := range items {
		out = append(out, d.fault(item, fmt.Sprintf("faults[%d]", i), total))
	}
	return out
}

// slowKind reports whether a fault kind adds latency rather than an outage.
func slowKind(kind string) bool { return kind == FaultRedisSlow || kind == FaultDBSlow }

func (d *decoder) fault(n *yaml.Node, path string, total time.Duration) Fault {
	var x Fault
	f, ok := d.mapping(n, path, faultFields())
	if !ok {
		return x
	}
	at := func(name string) string { return path + "." + name }
	kindOK := false
	if v, ok := f["kind"]; ok {
		x.Kind, kindOK = d.enum(v, at("kind"), enumFaultKind())
	} else {
		d.errorf(resolve(n), at("kind"), "is required (one of broker-down, redis-down, redis-blackhole, redis-slow, db-slow)")
	}

	startOK, forOK := false, false
	if v, ok := f["at"]; ok {
		x.At, startOK = d.duration(v, at("at"), false)
	} else {
		d.errorf(resolve(n), at("at"), "is required (when the fault starts, model time)")
	}
	forNode, ok := f["for"]
	if ok {
		x.For, forOK = d.duration(forNode, at("for"), true)
	} else {
		d.errorf(resolve(n), at("for"), "is required (how long the fault lasts, model time)")
	}
	if total > 0 && startOK && forOK && (x.At > total || x.For > total-x.At) {
		d.errorf(resolve(forNode), at("for"), "the fault lasts from %s to %s, past the end of the scenario (duration %s)",
			fmtDuration(x.At), fmtDuration(x.At+x.For), fmtDuration(total))
	}

	v, hasLatency := f["latency"]
	switch {
	case !kindOK:
	case slowKind(x.Kind) && hasLatency:
		x.Latency, _ = d.duration(v, at("latency"), true)
	case slowKind(x.Kind):
		d.errorf(resolve(n), at("latency"), "is required for %s (the delay added to each call, e.g. 200ms)", x.Kind)
	case hasLatency:
		d.errorf(resolve(v), at("latency"), "only applies to redis-slow and db-slow, not %s", x.Kind)
	}
	return x
}
