package scenarios

import (
	"fmt"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

func faultFields() []string {
	return []string{"kind", "at", "for", "latency"}
}

func (d *decoder) faults(n *yaml.Node, total time.Duration, opt Options) []Fault {
	items, ok := d.sequence(n, "faults")
	if !ok {
		return nil
	}
	out := make([]Fault, 0, len(items))
	for i, item := range items {
		out = append(out, d.fault(item, fmt.Sprintf("faults[%d]", i), total, opt))
	}
	return out
}

func (d *decoder) fault(n *yaml.Node, path string, total time.Duration, opt Options) Fault {
	var x Fault
	f, ok := d.mapping(n, path, faultFields())
	if !ok {
		return x
	}
	at := func(name string) string { return path + "." + name }
	kindOK := false
	if v, ok := f["kind"]; ok {
		x.Kind, kindOK = d.enum(v, at("kind"), opt.faultKindNames())
	} else {
		d.errorf(resolve(n), at("kind"), "is required (one of %s)", strings.Join(opt.faultKindNames(), ", "))
	}
	kind, _ := opt.faultKind(x.Kind)

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
	case kind.Latency && hasLatency:
		x.Latency, _ = d.duration(v, at("latency"), true)
	case kind.Latency:
		d.errorf(resolve(n), at("latency"), "is required for %s (the delay added to each call, e.g. 200ms)", x.Kind)
	case hasLatency:
		d.errorf(resolve(v), at("latency"), "only applies to %s, not %s", strings.Join(opt.slowFaultKinds(), " and "), x.Kind)
	}
	return x
}
