package fault

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/hbharness/hbharness/faults"
	"github.com/hbharness/hbharness/internal/modeltime"

	"github.com/hbharness/hbharness/internal/wait"
)

// Applied is one fault as it actually happened: Started and Ended are model
// time, measured from the instants it was switched, not copied from the plan.
// Ended is -1 for a fault that lasted to the end of the run.
type Applied struct {
	faults.Fault
	Started, Ended time.Duration
}

// planned is a validated fault with its breaker and what happened to it.
type planned struct {
	faults.Fault
	index   int
	breaker Breaker
	started time.Time // wall instants, zero until they happen
	ended   time.Time
}

func (f *planned) String() string { return fmt.Sprintf("faults[%d] (%v)", f.index, f.Fault) }

// event is one switch: a fault starting or ending.
type event struct {
	at    time.Time
	start bool
	fault *planned
}

// Schedule applies each fault at run's model instant At and lifts it For
// later; every fault is resolved against the targets before any is applied,
// so a bad entry breaks nothing. Overlapping faults all apply and all clear
// (proxies stack toxics; each kind undoes only itself).
//
// It returns once every fault has ended (or has been applied, for one that
// lasts to the end), or when ctx ends: then the faults still in effect are
// lifted and the error wraps the context's cause. A fault that cannot be
// applied, or that does not heal when lifted, ends the schedule with an
// error too: every verdict after it would judge the harness, not the target.
func Schedule(ctx context.Context, plan []faults.Fault, t Targets, run modeltime.Run, log *slog.Logger) ([]Applied, error) {
	if log == nil {
		log = slog.Default()
	}
	if err := run.Scale.Validate(); err != nil {
		return nil, fmt.Errorf("fault schedule: %w", err)
	}
	resolved, err := Validate(plan, t, run.Scale)
	if err != nil {
		return nil, err
	}
	var events []event
	for _, f := range resolved {
		events = append(events, event{at: run.At(f.At), start: true, fault: f})
		if f.For > 0 {
			events = append(events, event{at: run.At(f.At + f.For), start: false, fault: f})
		}
	}
	// At one instant, ends go first so a fault taking over from another
	// never shares a proxy's stack with it; then plan order, for determinism.
	slices.SortStableFunc(events, func(a, b event) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		if a.start != b.start {
			if a.start {
				return 1
			}
			return -1
		}
		return cmp.Compare(a.fault.index, b.fault.index)
	})

	var failure error
	for _, ev := range events {
		if !wait.Until(ctx, ev.at) {
			failure = fmt.Errorf("fault schedule cut short: %w", context.Cause(ctx))
			break
		}
		f := ev.fault
		if ev.start {
			if err := f.breaker.Apply(ctx); err != nil {
				failure = fmt.Errorf("%v could not be applied: %w", f, err)
				break
			}
			f.started = time.Now()
			log.Info("fault applied", "fault", f.String(), "model_at", run.Since(f.started))
			continue
		}
		if err := lift(ctx, f, run, log); err != nil {
			failure = err
			break
		}
	}
	if failure != nil {
		// Heal whatever is still broken, so the run can be torn down cleanly.
		for _, f := range resolved {
			if !f.started.IsZero() && f.ended.IsZero() {
				if err := lift(context.WithoutCancel(ctx), f, run, log); err != nil {
					failure = errors.Join(failure, err)
				}
			}
		}
	}
	return report(resolved, run), failure
}

func lift(ctx context.Context, f *planned, run modeltime.Run, log *slog.Logger) error {
	err := f.breaker.Lift(ctx)
	f.ended = time.Now()
	log.Info("fault lifted", "fault", f.String(), "model_at", run.Since(f.ended))
	if s, ok := f.breaker.(Settler); ok {
		err = errors.Join(err, s.Settle(ctx))
	}
	if err != nil {
		return fmt.Errorf("%v did not heal: %w", f, err)
	}
	return nil
}

// Validate resolves every fault to its breaker, so that a bad entry is
// reported before anything is touched.
func Validate(plan []faults.Fault, t Targets, scale modeltime.Scale) ([]*planned, error) {
	out := make([]*planned, len(plan))
	for i, fl := range plan {
		f := &planned{Fault: fl, index: i}
		var err error
		if f.breaker, err = resolve(f.Fault, t, scale); err != nil {
			return nil, fmt.Errorf("%v: %w", f, err)
		}
		out[i] = f
	}
	return out, nil
}

func report(plan []*planned, run modeltime.Run) []Applied {
	var out []Applied
	for _, f := range plan {
		if f.started.IsZero() {
			continue
		}
		a := Applied{Fault: f.Fault, Started: run.Since(f.started), Ended: -1}
		if !f.ended.IsZero() {
			a.Ended = run.Since(f.ended)
		}
		out = append(out, a)
	}
	return out
}
