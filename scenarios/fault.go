package scenarios

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

func faultFields() []string {
	return []string{"kind", "at", "for", "latency", "offset", "zone", "replica"}
}

func randomFields() []string {
	return []string{"kinds", "every", "for", "latency", "offset"}
}

// faults decodes faults: a list of faults, or {random: {...}}.
func (d *decoder) faults(n *yaml.Node, total time.Duration, replicas int, opt Options) ([]Fault, *RandomFaults) {
	n = resolve(n)
	if isNull(n) {
		return nil, nil
	}
	if n.Kind == yaml.MappingNode {
		f, ok := d.mapping(n, "faults", []string{"random"})
		if !ok {
			return nil, nil
		}
		v, ok := f["random"]
		if !ok {
			d.errorf(n, "faults", "a mapping here must be {random: {kinds: [...], every: 2m, for: 20s..60s}}; a fixed schedule is a list")
			return nil, nil
		}
		return nil, d.random(v, total, opt)
	}
	items, ok := d.sequence(n, "faults")
	if !ok {
		return nil, nil
	}
	out := make([]Fault, 0, len(items))
	for i, item := range items {
		out = append(out, d.fault(item, fmt.Sprintf("faults[%d]", i), total, replicas, opt))
	}
	return out, nil
}

func (d *decoder) fault(n *yaml.Node, path string, total time.Duration, replicas int, opt Options) Fault {
	x := Fault{Replica: AllReplicas}
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
		x.For, forOK = d.duration(forNode, at("for"), !kind.Forever)
	} else {
		d.errorf(resolve(n), at("for"), "is required (how long the fault lasts, model time)")
	}
	if total > 0 && startOK && forOK && (x.At > total || x.For > total-x.At) {
		d.errorf(resolve(forNode), at("for"), "the fault lasts from %s to %s, past the end of the scenario (duration %s)",
			fmtDuration(x.At), fmtDuration(x.At+x.For), fmtDuration(total))
	}
	if !kindOK {
		return x
	}

	v, has := f["latency"]
	switch {
	case kind.Latency && has:
		x.Latency, _ = d.duration(v, at("latency"), true)
	case kind.Latency:
		d.errorf(resolve(n), at("latency"), "is required for %s (the delay added to each call, e.g. 200ms)", x.Kind)
	case has:
		d.errorf(resolve(v), at("latency"), "only applies to %s, not %s", andList(opt.kindsWith(func(k FaultKind) bool { return k.Latency })), x.Kind)
	}
	v, has = f["offset"]
	zone, hasZone := f["zone"]
	switch {
	case hasZone && !kind.Offset:
		d.errorf(resolve(zone), at("zone"), "only applies to %s, not %s", andList(opt.kindsWith(func(k FaultKind) bool { return k.Offset })), x.Kind)
	case hasZone && has:
		d.errorf(resolve(zone), at("zone"), "and offset both set the clock: give one (zone: a worker writing UTC into a naive-local column of that zone)")
	case hasZone:
		x.Zone, x.Offset = d.zoneOffset(zone, at("zone"))
	case kind.Offset && has:
		if off, ok := d.signedDuration(v, at("offset")); ok {
			if off == 0 {
				d.errorf(resolve(v), at("offset"), "is zero: a clock set off by nothing is no fault")
			}
			x.Offset = off
		}
	case kind.Offset:
		d.errorf(resolve(n), at("offset"), "is required for %s (how far the clock is off: 45s ahead, -45s behind; or zone: Europe/Paris for a worker writing UTC into that zone's naive-local column)", x.Kind)
	case has:
		d.errorf(resolve(v), at("offset"), "only applies to %s, not %s", andList(opt.kindsWith(func(k FaultKind) bool { return k.Offset })), x.Kind)
	}
	if v, has := f["replica"]; has {
		if !kind.Replica {
			d.errorf(resolve(v), at("replica"), "%s cannot be aimed at one replica: it acts on what they share", x.Kind)
		} else if r, ok := d.integer(v, at("replica"), 0); ok {
			if replicas > 0 && r >= replicas {
				d.errorf(resolve(v), at("replica"), "replica %d does not exist: the scenario runs %d (0 to %d)", r, replicas, replicas-1)
			} else {
				x.Replica = r
			}
		}
	}
	return x
}

// zoneOffset is the skew of a worker that writes UTC wall time into a naive
// local column (Antenna's USE_TZ=False) of a database in zone: everyone else
// reads it as that zone's local time, so it lands behind by the zone's UTC
// offset (ahead, for a zone west of Greenwich). The offset is the zone's
// today; a run does not straddle a DST change in model time worth minding.
func (d *decoder) zoneOffset(n *yaml.Node, path string) (string, time.Duration) {
	n = resolve(n)
	var name string
	if n.Kind != yaml.ScalarNode || n.Decode(&name) != nil || name == "" {
		d.errorf(n, path, "must be an IANA time zone name, e.g. Europe/Paris or America/Toronto")
		return "", 0
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		d.errorf(n, path, "%q is not a time zone this program knows (%v); use an IANA name such as Europe/Paris", name, err)
		return "", 0
	}
	_, east := time.Now().In(loc).Zone()
	if east == 0 {
		d.errorf(n, path, "%s is at UTC today: writing UTC as its local time is no mismatch", name)
		return "", 0
	}
	return name, -time.Duration(east) * time.Second
}

var forRange = regexp.MustCompile(`^\s*(\S+?)\s*\.\.\s*(\S+)\s*$`)

// random decodes {kinds: [...], every: 2m, for: 20s..60s[, latency:, offset:]}.
func (d *decoder) random(n *yaml.Node, total time.Duration, opt Options) *RandomFaults {
	f, ok := d.mapping(n, "faults.random", randomFields())
	if !ok {
		return nil
	}
	r := &RandomFaults{}
	valid := true
	if v, ok := f["kinds"]; ok {
		items, ok := d.sequence(v, "faults.random.kinds")
		if ok && len(items) == 0 {
			d.errorf(resolve(v), "faults.random.kinds", "is empty: list the kinds to draw from")
			valid = false
		}
		for i, item := range items {
			if k, ok := d.enum(item, fmt.Sprintf("faults.random.kinds[%d]", i), opt.faultKindNames()); ok {
				r.Kinds = append(r.Kinds, k)
			} else {
				valid = false
			}
		}
	} else {
		d.errorf(resolve(n), "faults.random.kinds", "is required (the kinds to draw from)")
		valid = false
	}
	if v, ok := f["every"]; ok {
		r.Every, ok = d.duration(v, "faults.random.every", true)
		valid = valid && ok
	} else {
		d.errorf(resolve(n), "faults.random.every", "is required (one fault starts in each period this long)")
		valid = false
	}
	if v, ok := f["for"]; ok {
		s := resolve(v)
		if m := forRange.FindStringSubmatch(s.Value); m != nil && s.Kind == yaml.ScalarNode {
			lo, err1 := time.ParseDuration(m[1])
			hi, err2 := time.ParseDuration(m[2])
			switch {
			case err1 != nil || err2 != nil:
				d.errorf(s, "faults.random.for", "%q is not a range of durations like 20s..60s", s.Value)
				valid = false
			case lo <= 0 || hi < lo:
				d.errorf(s, "faults.random.for", "%q must run from more than zero up, like 20s..60s", s.Value)
				valid = false
			default:
				r.ForMin, r.ForMax = lo, hi
			}
		} else if x, ok := d.duration(v, "faults.random.for", true); ok {
			r.ForMin, r.ForMax = x, x
		} else {
			valid = false
		}
	} else {
		d.errorf(resolve(n), "faults.random.for", "is required (how long each lasts: 30s, or a range like 20s..60s)")
		valid = false
	}
	if v, ok := f["latency"]; ok {
		r.Latency, _ = d.duration(v, "faults.random.latency", true)
	}
	if v, ok := f["offset"]; ok {
		r.Offset, _ = d.signedDuration(v, "faults.random.offset")
	}
	for _, k := range r.Kinds {
		kind, _ := opt.faultKind(k)
		if kind.Latency && r.Latency == 0 {
			d.errorf(resolve(n), "faults.random.latency", "is required: %s is among the kinds and needs one", k)
			valid = false
		}
		if kind.Offset && r.Offset == 0 {
			d.errorf(resolve(n), "faults.random.offset", "is required: %s is among the kinds and needs one", k)
			valid = false
		}
	}
	if valid && total > 0 && r.Every+r.ForMax > total {
		d.errorf(resolve(n), "faults.random.every", "the first fault (at %s, up to %s long) would not fit in the scenario (duration %s)",
			fmtDuration(r.Every), fmtDuration(r.ForMax), fmtDuration(total))
		valid = false
	}
	if !valid {
		return nil
	}
	return r
}

// FaultPlan is the schedule a run with this seed applies: the faults
// listed, then one drawn per period of faults: {random: ...}, at a random
// point in the period's first half, of a random kind and length.
func (s *Spec) FaultPlan(seed int64, opt Options) []Fault {
	out := slices.Clone(s.Faults)
	r := s.RandomFaults
	if r == nil {
		return out
	}
	rng := rand.New(rand.NewPCG(uint64(seed), 0xfa17))
	for period := r.Every; ; period += r.Every {
		at := period + time.Duration(rng.Int64N(int64(r.Every/2)+1)).Truncate(time.Millisecond)
		length := r.ForMin + time.Duration(rng.Int64N(int64(r.ForMax-r.ForMin)+1)).Truncate(time.Millisecond)
		if at+length > s.Duration {
			return out
		}
		k := r.Kinds[rng.IntN(len(r.Kinds))]
		kind, _ := opt.faultKind(k)
		f := Fault{Kind: k, At: at, For: length, Replica: AllReplicas}
		if kind.Latency {
			f.Latency = r.Latency
		}
		if kind.Offset {
			f.Offset = r.Offset
		}
		out = append(out, f)
	}
}

// andList writes names as a reader would: "a", "a and b", "a, b and c".
func andList(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}
