package main

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/hbharness/hbharness/internal/testdeps"
)

// saturatedRun says why a run exited 2 because its load generator could not
// keep its schedule (a machine too busy to judge anything), or "" when it
// did not.
func saturatedRun(code int, stderr string) string {
	if code == 2 && strings.Contains(stderr, "load generator saturated") {
		return stderr
	}
	return ""
}

// starvedRun says why a run that exited 1 failed only requests_succeed, and
// only on transport errors: client timeouts, which compressed time makes
// short (30 s × 0.055 is 1.65 s) and a machine starved by CPU hogs beside
// the other packages' tests overruns, the target having answered every
// request it got to. That is the machine, not the code: the caller reruns
// gentler, where the timeouts are longer and every verdict is judged again
// in full. Any other failure is the code's, and "" is returned.
func starvedRun(t *testing.T, code int, dir string) string {
	t.Helper()
	if code != 1 {
		return ""
	}
	s := readSummary(t, dir)
	var failed []string
	for _, v := range s.Invariants {
		if !v.Passed {
			failed = append(failed, v.Name)
		}
	}
	var transport int64
	for _, c := range s.Requests.ByEndpoint {
		transport += c.Transport
	}
	if len(failed) != 1 || failed[0] != "requests_succeed" || transport == 0 || transport != s.Requests.Errors {
		return ""
	}
	return fmt.Sprintf("requests_succeed failed on %d transport errors (client timeouts) alone", transport)
}

// gentler runs body at the time scale given and, when one of its runs says
// the load generator saturated (body returns that run's stderr), once more
// at twice the scale: the same model at half the wall rate, said in the log.
// Twice saturated, nothing was judged: the test is skipped, or on CI fails
// (testenv.SkipSaturated). These tests are about what the CLI writes and
// judges, not the generator's ceiling.
func gentler(t *testing.T, scale float64, body func(t *testing.T, scale string) (saturated string)) {
	t.Helper()
	for attempt := 0; ; attempt++ {
		why := body(t, strconv.FormatFloat(scale, 'f', -1, 64))
		if why == "" {
			return
		}
		if attempt == 1 || 2*scale > 1 {
			testdeps.Saturated(t, why)
		}
		t.Logf("too busy a machine to judge the run at time scale %v; rerunning once, gentler, at %v: %s", scale, 2*scale, why)
		scale *= 2
	}
}
