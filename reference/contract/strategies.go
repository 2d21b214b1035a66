package contract

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hbharness/hbharness/reference/heartbeat"
)

// DefaultStrategy is the merged PR's strategy.
const DefaultStrategy = "view-gate"

// Call is what decides the target of one poll: what it polled, and the
// calling service when it authenticated with its own token (0 for the
// shared token).
type Call struct {
	Target    heartbeat.Target
	ServiceID int64
}

// scopes maps each strategy (docs/design.md#strategies) to the target it
// throttles and writes a call under. It is built on each call so that no
// package-level state exists to be mutated; package strategy builds one
// strategy for each name here.
func scopes() map[string]func(Call) heartbeat.Target {
	return map[string]func(Call) heartbeat.Target{
		"inline":               CallTarget,
		"task-throttle":        CallTarget,
		"view-gate":            CallTarget,
		"view-gate-task-check": CallTarget,
		"per-service":          CallingService,
		"per-service-sync":     IdentifiedOnJobs,
		"two-tier":             CallTarget,
		"db-skip-locked":       CallTarget,
		"none":                 CallTarget,
	}
}

// Strategies lists the strategies' names, sorted.
func Strategies() []string {
	var n []string
	for k := range scopes() {
		n = append(n, k)
	}
	slices.Sort(n)
	return n
}

// CheckStrategy says whether name is a strategy, and if not which are.
func CheckStrategy(name string) error {
	if _, ok := scopes()[name]; !ok {
		return fmt.Errorf("unknown strategy %q: use one of %s", name, strings.Join(Strategies(), ", "))
	}
	return nil
}

// Scope returns the rule by which the named strategy picks the target a call
// is throttled and written under, so an observer can put each poll on the
// gate key it really hit without knowing strategies by name.
func Scope(name string) (func(Call) heartbeat.Target, error) {
	if err := CheckStrategy(name); err != nil {
		return nil, err
	}
	return scopes()[name], nil
}

// CallTarget throttles a call under what it polled: its job's (pipeline,
// project), or the list's pipelines or project. One poller marks every
// service of that target live.
func CallTarget(c Call) heartbeat.Target { return c.Target }

// CallingService narrows a call to the service whose own token made it;
// shared-token calls fall back to what they polled.
func CallingService(c Call) heartbeat.Target {
	if c.ServiceID != 0 {
		return heartbeat.ServiceTarget(c.ServiceID)
	}
	return c.Target
}

// IdentifiedOnJobs is per-service-sync's scope: a /tasks or /result call
// made with a service's own token is that service's; the list and
// shared-token calls stay on what they polled.
func IdentifiedOnJobs(c Call) heartbeat.Target {
	if c.ServiceID != 0 && c.Target.Kind == heartbeat.KindJob {
		return heartbeat.ServiceTarget(c.ServiceID)
	}
	return c.Target
}

// Unthrottled says whether a strategy has no throttle at all, so that its
// writes come as often as its polls by design: inline writes in every
// request, none enqueues a write from every request (docs/design.md#strategies).
// Writes far closer than the window then say nothing about the time scale.
func Unthrottled(name string) bool { return name == "inline" || name == "none" }
