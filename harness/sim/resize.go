package sim

import (
	"fmt"
	"time"

	"github.com/hbharness/hbharness/scenarios"
)

// Size overrides a scenario's scale for a simulation: the fleet's workers
// (shared among its groups in their proportions), the number of keys (more
// projects over the same pipelines) and the duration (groups that ran to
// the end run to the new end). Zero leaves a dimension as the file has it.
type Size struct {
	Workers  int
	Keys     int
	Duration time.Duration
}

// Resize returns spec at size, or says why it cannot be.
func Resize(spec *scenarios.Spec, size Size) (*scenarios.Spec, error) {
	out := *spec
	out.Fleet = append([]scenarios.Group(nil), spec.Fleet...)
	if size.Workers < 0 || size.Keys < 0 || size.Duration < 0 {
		return nil, fmt.Errorf("--workers, --keys and --duration must not be negative")
	}
	if d := size.Duration; d > 0 {
		for i, g := range out.Fleet {
			if g.StopAt >= spec.Duration {
				out.Fleet[i].StopAt = d
			} else if g.StartAt >= d {
				return nil, fmt.Errorf("--duration %s: fleet %s starts at %s, after the end", d, g.Name, g.StartAt)
			}
		}
		out.Duration = d
	}
	if n := size.Keys; n > 0 {
		p := out.Fixtures.Pipelines
		if p <= 0 || n%p != 0 {
			return nil, fmt.Errorf("--keys %d: %s has %d pipelines, and a key is a (pipeline, project) pair: give a multiple of %d", n, spec.Name, p, p)
		}
		out.Fixtures.Projects = n / p
	}
	if n := size.Workers; n > 0 {
		total := 0
		for _, g := range out.Fleet {
			total += g.Workers
		}
		if total == 0 {
			return nil, fmt.Errorf("--workers %d: %s has no fleet to resize", n, spec.Name)
		}
		given := 0
		for i, g := range out.Fleet {
			w := max(1, n*g.Workers/total)
			if i == len(out.Fleet)-1 {
				w = max(1, n-given) // the rounding goes to the last group
			}
			out.Fleet[i].Workers = w
			given += w
		}
	}
	return &out, nil
}
