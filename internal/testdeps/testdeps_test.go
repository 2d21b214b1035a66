package testdeps

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
)

// fakeTB records what the helpers decided instead of acting on it.
type fakeTB struct {
	testing.TB
	skipped, failed string
}

func (f *fakeTB) Helper()                        {}
func (f *fakeTB) Skipf(format string, a ...any)  { f.skipped = fmt.Sprintf(format, a...) }
func (f *fakeTB) Fatalf(format string, a ...any) { f.failed = fmt.Sprintf(format, a...) }

func TestRequireSkipsOffCIAndFailsOnCI(t *testing.T) {
	gone := errors.New("dial tcp 127.0.0.1:5672: connection refused")
	cases := []struct {
		name       string
		short, ci  bool
		missing    error
		skip, fail string // the whole message; "" where the test goes on
	}{
		{name: "at hand: the test runs", missing: nil},
		{name: "at hand on CI: the test runs", ci: true, missing: nil},
		{name: "missing off CI: skipped, saying what and how", missing: gone,
			skip: "skipped: RabbitMQ is missing (dial tcp 127.0.0.1:5672: connection refused); start it with rabbitmq-server -detached"},
		{name: "missing on CI: failed, saying what and how", ci: true, missing: gone,
			fail: "RabbitMQ is missing (dial tcp 127.0.0.1:5672: connection refused): CI=true, and a test that needs it must not be skipped on CI; start it with rabbitmq-server -detached"},
		{name: "-short skips even what is at hand", short: true, missing: nil, skip: "skipped under -short: needs RabbitMQ"},
		{name: "-short on CI skips: it was asked for", short: true, ci: true, missing: gone, skip: "skipped under -short: needs RabbitMQ"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeTB{TB: t}
			require(f, tc.short, tc.ci, "RabbitMQ", tc.missing, "start it with rabbitmq-server -detached")
			assert.Equal(t, tc.skip, f.skipped)
			assert.Equal(t, tc.fail, f.failed)
		})
	}
}

func TestOnCIReadsCI(t *testing.T) {
	for v, want := range map[string]bool{"true": true, "": false, "false": false, "1": false} {
		t.Setenv("CI", v)
		assert.Equal(t, want, OnCI(), "CI=%q", v)
	}
}

// A twice-saturated run skips a developer's test, saying why, and fails
// CI's: a skip there would let the pipeline go green with nothing judged.
func TestSaturatedSkipsOffCIAndFailsOnCI(t *testing.T) {
	why := "fleet could not keep its schedule"
	cases := []struct {
		name     string
		ci       bool
		skipped  []string
		failedTo []string
	}{
		{name: "off CI: skipped, saying why", skipped: []string{why, "nothing judged"}},
		{name: "on CI: failed, saying why", ci: true, failedTo: []string{"CI=true", why}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeTB{TB: t}
			saturated(f, tc.ci, why)
			for _, s := range tc.skipped {
				assert.Contains(t, f.skipped, s)
			}
			for _, s := range tc.failedTo {
				assert.Contains(t, f.failed, s)
			}
			assert.Equal(t, tc.ci, f.failed != "", "failed")
			assert.Equal(t, !tc.ci, f.skipped != "", "skipped")
		})
	}
}
