package scenarios

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/hbharness/hbharness/faults"
)

// faultFields are the fields a fault may have: those every fault has, then
// every parameter some kind takes (each kind's own type says which).
func faultFields() []string {
	return paramFields("kind", "at", "for", "replica")
}

func randomFields() []string {
	return paramFields("kinds", "every", "for")
}

func paramFields(common ...string) []string {
	out := common
	for _, k := range faults.Kinds() {
		for _, field := range k.New().Fields() {
			if !slices.Contains(out, field) {
				out = append(out, field)
			}
		}
	}
	return out
}

// faults decodes faults: a list of faults, or {random: {...}}.
func (d *decoder) faults(n *yaml.Node, total time.Duration, replicas int) ([]faults.Fault, *RandomFaults) {
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
		return nil, d.random(v, total)
	}
	items, ok := d.sequence(n, "faults")
	if !ok {
		return nil, nil
	}
	out := make([]faults.Fault, 0, len(items))
	for i, item := range items {
		out = append(out, d.fault(item, fmt.Sprintf("faults[%d]", i), total, replicas))
	}
	return out, nil
}

func (d *decoder) fault(n *yaml.Node, path string, total time.Duration, replicas int) faults.Fault {
	x := faults.Fault{Replica: faults.AllReplicas}
	f, ok := d.mapping(n, path, faultFields())
	if !ok {
		return x
	}
	at := func(name string) string { return path + "." + name }
	var kind faults.Kind
	kindOK := false
	if v, ok := f["kind"]; ok {
		if x.Kind, kindOK = d.enum(v, at("kind"), faults.Names()); kindOK {
			kind, _ = faults.Lookup(x.Kind)
		}
	} else {
		d.errorf(resolve(n), at("kind"), "is required (one of %s)", strings.Join(faults.Names(), ", "))
	}

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
	x.Params = d.params(n, f, path, kind, "")
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

// params hands kind's own fields to its parameters' type, which parses and
// checks them; a field of another kind's is refused here. Under faults:
// {random: ...} (among set), a field no drawn kind takes is not this kind's
// business, and a missing one is named with the kind that needs it.
func (d *decoder) params(n *yaml.Node, f map[string]*yaml.Node, path string, kind faults.Kind, among string) faults.Params {
	p := kind.New()
	own := p.Fields()
	before := len(d.problems)
	for _, field := range paramFields() {
		v, has := f[field]
		switch {
		case !has:
		case slices.Contains(own, field):
			s, ok := d.scalar(v, path+"."+field, "a value")
			if !ok {
				continue
			}
			if err := p.Set(field, s.Value); err != nil {
				d.fieldError(s, path, err)
			}
		case among == "":
			d.errorf(resolve(v), path+"."+field, "only applies to %s, not %s", andList(faults.Takes(field)), kind.Name)
		}
	}
	if len(d.problems) > before {
		return p // a field it was given is wrong: what Check would add is noise
	}
	if err := p.Check(kind.Name); err != nil {
		var fe *faults.FieldError
		switch {
		case !errors.As(err, &fe):
			d.errorf(resolve(n), path, "%v", err)
		case fe.Missing && among != "":
			d.errorf(resolve(n), path+"."+fe.Field, "is required: %s is among the kinds and needs one", kind.Name)
		case !fe.Missing && f[fe.Field] != nil:
			d.errorf(resolve(f[fe.Field]), path+"."+fe.Field, "%s", fe.Msg)
		default:
			d.errorf(resolve(n), path+"."+fe.Field, "%s", fe.Msg)
		}
	}
	return p
}

func (d *decoder) fieldError(n *yaml.Node, path string, err error) {
	var fe *faults.FieldError
	if errors.As(err, &fe) {
		d.errorf(n, path+"."+fe.Field, "%s", fe.Msg)
		return
	}
	d.errorf(n, path, "%v", err)
}

var forRange = regexp.MustCompile(`^\s*(\S+?)\s*\.\.\s*(\S+)\s*$`)

// random decodes {kinds: [...], every: 2m, for: 20s..60s[, latency:,
// offset:, or any other kind's parameter]}.
func (d *decoder) random(n *yaml.Node, total time.Duration) *RandomFaults {
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
			if k, ok := d.enum(item, fmt.Sprintf("faults.random.kinds[%d]", i), faults.Names()); ok {
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
	r.Params = map[string]string{}
	for _, field := range paramFields() {
		if v, ok := f[field]; ok {
			if s, ok := d.scalar(v, "faults.random."+field, "a value"); ok {
				r.Params[field] = s.Value
			}
		}
	}
	checked := len(d.problems)
	for _, k := range r.Kinds {
		kind, _ := faults.Lookup(k)
		d.params(n, f, "faults.random", kind, k)
	}
	valid = valid && len(d.problems) == checked
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
func (s *Spec) FaultPlan(seed int64) []faults.Fault {
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
		out = append(out, faults.Fault{Kind: k, At: at, For: length, Replica: faults.AllReplicas, Params: r.params(k)})
	}
}

// params are the drawn kind's parameters, from the fields under random
// that it takes; Parse checked they are complete for every kind listed.
func (r *RandomFaults) params(kind string) faults.Params {
	k, err := faults.Lookup(kind)
	if err != nil {
		return nil // Parse took only known kinds
	}
	p := k.New()
	for _, field := range p.Fields() {
		if text, ok := r.Params[field]; ok {
			_ = p.Set(field, text) // checked by Parse, through the same Set
		}
	}
	return p
}

// andList writes names as a reader would: "a", "a and b", "a, b and c".
func andList(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}
