// Package testdeps decides what a test does when something it needs from
// the machine (a server, a browser, a throwaway cluster) is not there: off
// CI it skips, saying what is missing and how to get it; on CI it fails,
// because a skip there lets CI pass with a test that never ran. It imports
// only the standard library, so that any package's tests can use it,
// internal/provision's own included.
package testdeps

import (
	"os"
	"testing"
)

// OnCI reports whether the tests run on CI: CI=true, as GitHub Actions,
// GitLab CI and .ci/run set it.
func OnCI() bool { return os.Getenv("CI") == "true" }

// Short skips t under `go test -short`, naming what it needs that the
// short tier (the pure packages, for the edit-test loop) leaves out. It
// skips on CI too: -short is asked for, never a default.
func Short(t testing.TB, needs string) {
	t.Helper()
	short(t, testing.Short(), needs)
}

// Require lets t go on only where what it needs is at hand: missing is nil
// when it is, and otherwise says why not; how tells a developer how to get
// it. Under -short t is skipped whatever missing says (see Short). Off CI a
// missing dependency skips t; on CI (CI=true) it fails t.
func Require(t testing.TB, what string, missing error, how string) {
	t.Helper()
	require(t, testing.Short(), OnCI(), what, missing, how)
}

// short and require take the flags as arguments, so that their tests can
// set them.
func short(t testing.TB, isShort bool, needs string) bool {
	t.Helper()
	if isShort {
		t.Skipf("skipped under -short: needs %s", needs)
		return true
	}
	return false
}

func require(t testing.TB, isShort, onCI bool, what string, missing error, how string) {
	t.Helper()
	if short(t, isShort, what) || missing == nil {
		return
	}
	if onCI {
		t.Fatalf("%s is missing (%v): CI=true, and a test that needs it must not be skipped on CI; %s", what, missing, how)
		return
	}
	t.Skipf("skipped: %s is missing (%v); %s", what, missing, how)
}

// NeedsServices skips t under -short: it needs PostgreSQL, Redis, NATS or
// RabbitMQ, which the fast tier (`go test -short ./...`, `make test-short`)
// does not bring up.
func NeedsServices(t testing.TB) {
	t.Helper()
	Short(t, "the shared servers (PostgreSQL, Redis, NATS, RabbitMQ); `make test` runs it")
}

// Slow skips t under -short: it is pure but runs for seconds (a paced load,
// a model run), too long for the edit-test loop.
func Slow(t testing.TB) {
	t.Helper()
	Short(t, "seconds of paced load or a model run; `make test` runs it")
}

// Saturated ends t when the load generator could not keep its schedule even
// on the gentler retry: the machine was too busy for the run to judge the
// code, and nothing was judged. Off CI that is a skip, saying why; on CI it
// fails t, as a skip there would let the pipeline go green without the
// evidence.
func Saturated(t testing.TB, why any) {
	t.Helper()
	saturated(t, OnCI(), why)
}

func saturated(t testing.TB, onCI bool, why any) {
	t.Helper()
	if onCI {
		t.Fatalf("CI=true: the load generator saturated on every try, the last at the gentlest retry, so nothing was judged; give the runner more CPU (or fewer parallel jobs): %v", why)
		return
	}
	t.Skipf("skipped, nothing judged: the load generator saturated on every try, the last at the gentlest retry, on this busy machine: %v", why)
}
