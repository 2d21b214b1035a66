package fault

import (
	"context"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/faults"
	"github.com/hbharness/hbharness/internal/modeltime"
	"github.com/hbharness/hbharness/internal/provision"
	"github.com/hbharness/hbharness/internal/testdeps"
	"github.com/hbharness/hbharness/reference/referencetest"
)

// natsQueues seeds one job on the machine's NATS under a prefix of the
// test's own, and returns a queue reaching it through a fresh proxy, the
// proxy, and a queue reaching it directly. The streams go when the test ends.
func natsQueues(t *testing.T, scale modeltime.Scale) (proxied *referencetest.Queue, p *Proxy, direct *referencetest.Queue) {
	t.Helper()
	testdeps.NeedsServices(t)
	raw := provision.FromEnv().NATS
	require.NoError(t, provision.ProbeNATS(t.Context(), raw, 3*time.Second), "these tests need NATS with JetStream (bash scripts/services.sh)")
	prefix := provision.Prefix(provision.NewName("faulttest"))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		require.NoError(t, provision.DeleteStreams(ctx, raw, prefix))
	})
	u, err := url.Parse(raw)
	require.NoError(t, err)
	p = startProxy(t, u.Host)
	queue := func(at string) *referencetest.Queue {
		q, err := referencetest.NewQueue(referencetest.QueueConfig{URL: at, Prefix: prefix, Scale: scale, TTR: 300 * time.Second,
			MaxDeliver: 2, MaxAckPending: 1000, Log: quietLog()})
		require.NoError(t, err)
		return q
	}
	direct = queue(raw)
	require.NoError(t, direct.Seed(t.Context(), []referencetest.Job{{ID: 1, Tasks: 1000}}))
	return queue("nats://" + p.Addr()), p, direct
}

// The task queue's fault kinds, applied as a schedule applies them: down
// and blackhole make /tasks's reservation unavailable (503), the first at
// once, the second after the 5 s connect timeout (model time, never under
// modeltime.MinTimeout); slow makes it slower and still serves tasks. None
// stops a heartbeat: the view heartbeats before it reserves.
//
// Latency past a quarter of the 0.5 s fetch wait (model time) leaves the
// fetch's answer on the wire when the wait ends: the reservation then finds
// no task, as upstream's would. The slow case stays well under it, at real
// time, so that a busy runner's scheduling cannot push it over.
func TestNATSKinds(t *testing.T) {
	cases := []struct {
		kind        string
		scale       modeltime.Scale
		latency     time.Duration
		unavailable bool
		atLeast     time.Duration // wall; no upper bound: a busy runner may be slower
	}{
		{kind: "nats-down", scale: 0.02, unavailable: true},
		{kind: "nats-blackhole", scale: 0.02, unavailable: true, atLeast: modeltime.Scale(0.02).Timeout(referencetest.ConnectTimeout)},
		// The connect handshake alone crosses the proxy twice.
		{kind: "nats-slow", scale: modeltime.Real, latency: 20 * time.Millisecond, atLeast: 2 * 20 * time.Millisecond},
	}
	for _, tc := range cases {
		t.Run(tc.kind, func(t *testing.T) {
			k, err := faults.Lookup(tc.kind)
			require.NoError(t, err, "registered")
			assert.False(t, k.StopsDispatch, "the heartbeat runs before the reservation")
			assert.False(t, k.SpendsWindow)
			assert.Equal(t, tc.latency > 0, slices.Contains(k.New().Fields(), "latency"))
			assert.True(t, k.Replica)

			q, p, _ := natsQueues(t, tc.scale)
			tasks, err := q.Reserve(t.Context(), 1, 2)
			require.NoError(t, err)
			require.Len(t, tasks, 2, "through the healthy proxy")

			f := faults.Fault{Kind: tc.kind, For: time.Minute, Replica: faults.AllReplicas}
			if tc.latency > 0 {
				f.Params = &faults.Slow{Latency: faults.Duration(tc.latency)}
			}
			b, err := resolve(f, one(Proxies{NATS: p}), tc.scale)
			require.NoError(t, err)
			require.NoError(t, b.Apply(t.Context()))
			began := time.Now()
			tasks, err = q.Reserve(t.Context(), 1, 2)
			took := time.Since(began)
			if tc.unavailable {
				require.ErrorIs(t, err, referencetest.ErrUnavailable)
				require.Empty(t, tasks)
			} else {
				require.NoError(t, err)
				require.Len(t, tasks, 2)
			}
			require.GreaterOrEqual(t, took, tc.atLeast)
			require.NoError(t, b.Lift(t.Context()))

			tasks, err = q.Reserve(t.Context(), 1, 2)
			require.NoError(t, err, "served again once the fault is lifted")
			require.Len(t, tasks, 2)
		})
	}
}

// A NATS fault needs the proxy in front of NATS: a run without one (no
// faults planned) cannot have it.
func TestNATSKindNeedsItsProxy(t *testing.T) {
	_, err := resolve(faults.Fault{Kind: "nats-down", For: time.Minute, Replica: faults.AllReplicas}, one(Proxies{}), 0.05)
	require.ErrorContains(t, err, "NATS")
}
