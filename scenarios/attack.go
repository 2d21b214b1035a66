package scenarios

import (
	"fmt"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/hbharness/hbharness/reference/antenna"
)

func attackFields() []string {
	return []string{"name", "endpoint", "rate", "rate_to", "start_at", "duration", "keys", "max_workers"}
}

// attacks decodes the open-model load, one Attack per item written; ok=false
// when load is not a list.
func (d *decoder) attacks(n *yaml.Node, total time.Duration, keys int) ([]Attack, bool) {
	items, ok := d.sequence(n, "load")
	if !ok {
		return nil, false
	}
	out := make([]Attack, 0, len(items))
	names := map[string]int{}
	for i, item := range items {
		path := fmt.Sprintf("load[%d]", i)
		a := d.attack(item, path, total, keys)
		if a.Name != "" {
			if first, dup := names[a.Name]; dup {
				d.errorf(resolve(item), path+".name", "attack name %q is used twice (first on line %d): names must be unique", a.Name, first)
			} else {
				names[a.Name] = resolve(item).Line
			}
		}
		out = append(out, a)
	}
	return out, true
}

func (d *decoder) attack(n *yaml.Node, path string, total time.Duration, keys int) Attack {
	var a Attack
	f, ok := d.mapping(n, path, attackFields())
	if !ok {
		return a
	}
	at := func(name string) string { return path + "." + name }
	required := func(name, hint string) (*yaml.Node, bool) {
		v, ok := f[name]
		if !ok {
			d.errorf(resolve(n), at(name), "is required%s", hint)
		}
		return v, ok
	}
	if v, ok := required("name", ""); ok {
		a.Name, _ = d.str(v, at("name"))
	}
	if v, ok := required("endpoint", " (one of tasks, result, list)"); ok {
		a.Endpoint, _ = d.enum(v, at("endpoint"), antenna.Endpoints())
	}
	if v, ok := required("rate", " (e.g. 2000/s or 120/m, model time)"); ok {
		a.Rate, _ = d.rate(v, at("rate"))
	}
	if v, ok := f["rate_to"]; ok {
		a.RateTo, _ = d.rate(v, at("rate_to"))
	}
	if v, ok := f["keys"]; ok {
		a.Keys, _ = d.keyList(v, at("keys"), keys)
	}
	if v, ok := f["max_workers"]; ok {
		a.MaxWorkers, _ = d.integer(v, at("max_workers"), 1)
	}
	startOK := true
	if v, ok := f["start_at"]; ok {
		a.StartAt, startOK = d.duration(v, at("start_at"), false)
	}
	v, ok := required("duration", " (how long the attack lasts, model time)")
	if !ok {
		return a
	}
	var durOK bool
	a.Duration, durOK = d.duration(v, at("duration"), true)
	if total > 0 && startOK && durOK && (a.StartAt > total || a.Duration > total-a.StartAt) {
		d.errorf(resolve(v), at("duration"), "the attack runs from %s to %s, past the end of the scenario (duration %s)",
			fmtDuration(a.StartAt), fmtDuration(a.StartAt+a.Duration), fmtDuration(total))
	}
	return a
}
