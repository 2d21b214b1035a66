package testenv

import (
	"os"
	"testing"
)

// The fast tier (`go test -short ./...`, `make test-short`) runs the pure
// packages for the edit-test loop; `make test` runs everything. A test that
// needs the shared servers, or lasts long, says so with one of these calls
// and is skipped, saying why, in the fast tier.

// NeedsServices skips t under -short: it needs PostgreSQL, Redis, NATS or
// RabbitMQ, which the fast tier does not bring up.
func NeedsServices(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: needs the shared servers (PostgreSQL, Redis, NATS, RabbitMQ); `make test` runs it")
	}
}

// Slow skips t under -short: it is pure but runs for seconds (a paced load,
// a model run), too long for the edit-test loop.
func Slow(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: runs for seconds; `make test` runs it")
	}
}

// OnCI says whether the tests run on CI (CI=true), where a skip would hide
// a test that never ran.
func OnCI() bool { return os.Getenv("CI") == "true" }

// SkipSaturated ends t when the load generator could not keep its schedule
// even on the gentler retry: the machine was too busy for the run to judge
// the code, and nothing was judged. Locally that is a skip, saying why; on
// CI (CI=true) it fails t, as a skip there would let the pipeline go green
// without the evidence.
func SkipSaturated(t testing.TB, why any) {
	t.Helper()
	if OnCI() {
		t.Fatalf("CI=true: the load generator saturated twice, the second time at the gentler retry, so nothing was judged; give the runner more CPU (or fewer parallel jobs): %v", why)
		return
	}
	t.Skipf("skipped, nothing judged: the load generator saturated twice, the second time at the gentler retry, on this busy machine: %v", why)
}
