package fault

import (
	"bytes"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLatencyDelaysBothDirections(t *testing.T) {
	p := startProxy(t, startEcho(t))
	c := dial(t, p.Addr())
	roundTrip(t, c, "warm")

	p.Set(Latency{Delay: 50 * time.Millisecond})
	took := roundTrip(t, c, "ping")
	assert.GreaterOrEqual(t, took, 100*time.Millisecond, "50 ms each way")
	assert.Less(t, took, 300*time.Millisecond)

	p.Set(nil)
	assert.Less(t, roundTrip(t, c, "pong"), 50*time.Millisecond, "latency lifts for open connections")
}

func TestLatencyKeepsByteOrder(t *testing.T) {
	p := startProxy(t, startEcho(t))
	p.Set(Latency{Delay: 50 * time.Millisecond})

	const conns, messages = 8, 300
	var wg sync.WaitGroup
	errs := make(chan error, conns)
	began := time.Now()
	for i := range conns {
		c := dial(t, p.Addr())
		require.NoError(t, c.SetDeadline(time.Now().Add(5*time.Second)))
		var sent bytes.Buffer
		for m := range messages {
			fmt.Fprintf(&sent, "conn %d message %d;", i, m)
		}
		want := sent.Bytes()
		wg.Go(func() {
			// Many small writes while the echo streams back, so chunks pile up
			// in the delay queues in both directions at once.
			for rest := want; len(rest) > 0; {
				n := min(len(rest), 7)
				if _, err := c.Write(rest[:n]); err != nil {
					errs <- err
					return
				}
				rest = rest[n:]
			}
		})
		wg.Go(func() {
			got := make([]byte, len(want))
			if _, err := io.ReadFull(c, got); err != nil {
				errs <- fmt.Errorf("conn %d: %w", i, err)
				return
			}
			if !bytes.Equal(got, want) {
				errs <- fmt.Errorf("conn %d: bytes came back out of order:\n got %.120q\nwant %.120q", i, got, want)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	assert.GreaterOrEqual(t, time.Since(began), 100*time.Millisecond)
	assert.Less(t, time.Since(began), 2*time.Second, "delaying from arrival should keep pipelined traffic flowing")
}
