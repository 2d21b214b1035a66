package runner

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hbharness/hbharness/harness/history"
	"github.com/hbharness/hbharness/reference/contract"
	"github.com/hbharness/hbharness/reference/heartbeat"
)

// keyBook knows every gate key a run can produce and which services each
// one writes, so writes seen in the database can be put back on their key.
type keyBook struct {
	services map[string][]int64 // gate key -> services it marks
	bySet    map[string][]string
	order    []string
}

func newKeyBook(keys []contract.Key) *keyBook {
	b := &keyBook{services: map[string][]int64{}, bySet: map[string][]string{}}
	add := func(key string, svcs []int64) {
		if _, ok := b.services[key]; ok {
			b.services[key] = append(b.services[key], svcs...)
			return
		}
		b.order = append(b.order, key)
		b.services[key] = slices.Clone(svcs)
	}
	for _, k := range keys {
		add(heartbeat.JobTarget(k.PipelineID, k.ProjectID).GateKey(), k.Services)
	}
	for _, k := range keys {
		add(heartbeat.PipelinesTarget([]string{k.Slug}).GateKey(), k.Services)
		add(heartbeat.ProjectTarget(k.ProjectID).GateKey(), k.Services)
	}
	for _, k := range keys {
		for _, s := range k.Services {
			add(heartbeat.ServiceTarget(s).GateKey(), []int64{s})
		}
	}
	for _, key := range b.order {
		slices.Sort(b.services[key])
		sig := setSig(b.services[key])
		b.bySet[sig] = append(b.bySet[sig], key)
	}
	return b
}

func setSig(ids []int64) string {
	var s strings.Builder
	for _, id := range ids {
		fmt.Fprintf(&s, "%d,", id)
	}
	return s.String()
}

// keyOf names the key a write of these services belongs to: among the keys
// that mark exactly this set, the one active at that moment (the tasks path
// and the list path can mark the same set when there is one project).
func (b *keyBook) keyOf(svcs []int64, at time.Duration, active map[string][]history.Interval) string {
	cands := b.bySet[setSig(svcs)]
	for _, c := range cands {
		for _, iv := range active[c] {
			if at >= iv.From && at <= iv.To {
				return c
			}
		}
	}
	if len(cands) > 0 {
		return cands[0]
	}
	return "services:" + strings.TrimSuffix(setSig(svcs), ",")
}
