package broker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/internal/testdeps"
	"github.com/hbharness/hbharness/reference/heartbeat"
)

// The RabbitMQ server on this machine is shared: tests only ever create and
// delete queues under their own random hbh_amqptest_ prefix.
const (
	rabbitAddr = "127.0.0.1:5672"
	rabbitURL  = "amqp://guest:guest@" + rabbitAddr + "/"
)

func TestAMQPDeliversInOrderAndAcknowledges(t *testing.T) {
	q := newTestAMQP(t, rabbitURL, 2*time.Second, discardLog())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	at := time.Date(2025, 1, 2, 3, 4, 5, 6000, time.UTC)
	var want []Message
	for i := range 5 {
		m := Message{Type: TypeHeartbeat, Heartbeat: &heartbeat.Task{
			Target:     heartbeat.JobTarget(int64(i), 100+int64(i)),
			Check:      i%2 == 0,
			EnqueuedAt: at.Add(time.Duration(i) * time.Second),
		}}
		require.NoError(t, q.Enqueue(ctx, m))
		want = append(want, m)
	}
	n, err := q.Depth(ctx)
	require.NoError(t, err)
	require.Equal(t, int64(5), n, "every confirmed message is in the queue")

	var got []Message
	done := make(chan error)
	go func() {
		done <- q.Consume(ctx, "c1", func(_ context.Context, m Message) error {
			got = append(got, m)
			if len(got) == len(want) {
				cancel()
			}
			return nil
		})
	}()
	select {
	case err := <-done:
		require.NoError(t, err, "Consume returns nil when ctx ends")
	case <-time.After(5 * time.Second):
		t.Fatalf("consumer did not get all %d messages in 5 s", len(want))
	}
	require.Equal(t, want, got, "FIFO, and every field survives the JSON round trip")
	n, err = q.Depth(context.Background())
	require.NoError(t, err)
	require.Zero(t, n, "every message acknowledged")
}

// Depth counts taken-but-unfinished messages too, so a drain waits for them.
func TestAMQPDepthCountsMessagesInFlight(t *testing.T) {
	q := newTestAMQP(t, rabbitURL, 2*time.Second, discardLog())
	ctx := context.Background()
	require.NoError(t, q.Enqueue(ctx, resultMessage(1)))
	started, release := make(chan struct{}), make(chan struct{})
	consume(t, q, "slow", func(context.Context, Message) error {
		close(started)
		<-release
		return errors.New("handler errors are logged, the message still acknowledged")
	})
	receive(t, started)
	n, err := q.Depth(ctx)
	require.NoError(t, err)
	require.Equal(t, int64(1), n, "the message being handled still counts")
	close(release)
	require.Eventually(t, func() bool { n, err := q.Depth(ctx); return err == nil && n == 0 },
		3*time.Second, 20*time.Millisecond)
}

// Antenna's web workers start with the broker down: only a malformed URL is
// refused up front, and calls on an unreachable broker fail within the
// timeout, naming the queue.
func TestAMQPUnreachableBrokerFailsFast(t *testing.T) {
	stalled := startProxy(t, rabbitAddr)
	stalled.set(proxyStall)
	const timeout = 300 * time.Millisecond
	for _, tc := range []struct{ name, url string }{
		{"connection refused", "amqp://guest:secret@127.0.0.1:1/"},
		{"broker accepts and never answers", "amqp://guest:secret@" + stalled.addr() + "/"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			start := time.Now()
			q, err := NewAMQP(ctx, tc.url, testPrefix(), timeout, discardLog())
			require.NoError(t, err, "an unreachable broker is not an error at start")
			t.Cleanup(func() { require.NoError(t, q.Close()) })
			require.Less(t, time.Since(start), timeout+500*time.Millisecond, "NewAMQP tries once, within the timeout")

			start = time.Now()
			err = q.Enqueue(ctx, resultMessage(1))
			require.ErrorContains(t, err, q.queue)
			require.NotContains(t, err.Error(), "secret", "the password stays out of errors")
			require.Less(t, time.Since(start), timeout+500*time.Millisecond)

			start = time.Now()
			_, err = q.Depth(ctx)
			require.ErrorContains(t, err, q.queue)
			require.Less(t, time.Since(start), timeout+500*time.Millisecond)
		})
	}
}

func TestAMQPRejectsMalformedURLs(t *testing.T) {
	for _, tc := range []struct{ name, url, want string }{
		{"http scheme", "http://x", "want amqp:// or amqps://"},
		{"no scheme", "127.0.0.1:5672", "parsing the RabbitMQ URL"},
		{"empty", "", "want amqp:// or amqps://"},
		{"unparsable", "amqp://guest:secret@[::1/", "parsing the RabbitMQ URL"},
		{"password kept out", "http://guest:secret@x/", "http://guest:xxxxx@x/"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q, err := NewAMQP(context.Background(), tc.url, testPrefix(), time.Second, discardLog())
			require.Nil(t, q)
			require.ErrorContains(t, err, tc.want)
			require.NotContains(t, err.Error(), "secret")
		})
	}
}

// The broker goes away and comes back: Enqueue fails while it is gone and
// works again after, and the same Consume call picks up where it was.
func TestAMQPReconnectsAfterTheBrokerComesBack(t *testing.T) {
	p := startProxy(t, rabbitAddr)
	var logs lockedBuffer
	q := newTestAMQP(t, "amqp://guest:guest@"+p.addr()+"/", time.Second,
		slog.New(slog.NewTextHandler(&logs, nil)))
	ctx := context.Background()
	got := make(chan int64, 10)
	consume(t, q, "c1", func(_ context.Context, m Message) error {
		got <- m.Result.JobID
		return nil
	})
	require.NoError(t, q.Enqueue(ctx, resultMessage(1)))
	require.Equal(t, int64(1), receive(t, got))
	// Cut only once message 1 is acknowledged, or it is rightly redelivered.
	require.Eventually(t, func() bool { n, err := q.Depth(ctx); return err == nil && n == 0 },
		3*time.Second, 20*time.Millisecond)

	p.set(proxyRefuse)
	p.kill()
	start := time.Now()
	err := q.Enqueue(ctx, resultMessage(2))
	require.ErrorContains(t, err, q.queue, "no broker, no enqueue")
	require.Less(t, time.Since(start), 1500*time.Millisecond)
	time.Sleep(300 * time.Millisecond) // the consumer fails a few reconnects meanwhile

	p.set(proxyForward)
	require.NoError(t, q.Enqueue(ctx, resultMessage(3)), "the publisher reconnects on the next call")
	require.Equal(t, int64(3), receive(t, got), "the consumer reconnected by itself")
	require.Eventually(t, func() bool { n, err := q.Depth(ctx); return err == nil && n == 0 },
		3*time.Second, 20*time.Millisecond, "message 3 acknowledged on the new connection")
	require.Equal(t, 1, strings.Count(logs.String(), "consumer lost RabbitMQ"), "the loss is logged once, not per retry:\n%s", logs.String())
	require.Equal(t, 1, strings.Count(logs.String(), "consumer reconnected"), logs.String())
}

// A broker that stops answering on a live connection (nothing closes) must
// not hold Enqueue or Depth past the timeout; the next call redials.
func TestAMQPStalledConnectionCannotHoldCallers(t *testing.T) {
	p := startProxy(t, rabbitAddr)
	const timeout = 300 * time.Millisecond
	q := newTestAMQP(t, "amqp://guest:guest@"+p.addr()+"/", timeout, discardLog())
	ctx := context.Background()
	require.NoError(t, q.Enqueue(ctx, resultMessage(1)))

	p.set(proxyStall)
	start := time.Now()
	err := q.Enqueue(ctx, resultMessage(2))
	require.ErrorContains(t, err, q.queue)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Less(t, time.Since(start), timeout+500*time.Millisecond)
	require.True(t, q.pub.broken(), "a connection that let a confirm time out is dropped, so the next call dials afresh")

	p.set(proxyForward)
	require.NoError(t, q.Enqueue(ctx, resultMessage(3)))
	p.set(proxyStall)
	start = time.Now()
	_, err = q.Depth(ctx)
	require.ErrorContains(t, err, q.queue, "an RPC on a live connection that stalled")
	require.Less(t, time.Since(start), timeout+500*time.Millisecond)

	p.set(proxyForward)
	n, err := q.Depth(ctx)
	require.NoError(t, err)
	require.GreaterOrEqual(t, n, int64(2), "messages 1 and 3 (2 may or may not have arrived before the stall)")
}

// A message whose handler was running when the connection dropped cannot be
// acknowledged; RabbitMQ delivers it again (at least once).
func TestAMQPRedeliversWhatWasUnacknowledgedAtADrop(t *testing.T) {
	p := startProxy(t, rabbitAddr)
	q := newTestAMQP(t, "amqp://guest:guest@"+p.addr()+"/", time.Second, discardLog())
	ctx := context.Background()
	require.NoError(t, q.Enqueue(ctx, resultMessage(7)))
	got, release := make(chan int64, 10), make(chan struct{})
	consume(t, q, "c1", func(_ context.Context, m Message) error {
		got <- m.Result.JobID
		<-release
		return nil
	})
	require.Equal(t, int64(7), receive(t, got))
	p.kill()
	close(release)
	require.Equal(t, int64(7), receive(t, got), "redelivered after the reconnect")
}

func TestAMQPConcurrentEnqueuesAllArrive(t *testing.T) {
	q := newTestAMQP(t, rabbitURL, 5*time.Second, discardLog())
	ctx := context.Background()
	const n = 50
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs <- q.Enqueue(ctx, resultMessage(int64(i))) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	depth, err := q.Depth(ctx)
	require.NoError(t, err)
	require.Equal(t, int64(n), depth)

	got := make(chan int64, n)
	consume(t, q, "c1", func(_ context.Context, m Message) error {
		got <- m.Result.JobID
		return nil
	})
	seen := map[int64]bool{}
	for range n {
		id := receive(t, got)
		require.False(t, seen[id], "message %d delivered twice", id)
		seen[id] = true
	}
	require.Len(t, seen, n)
}

func TestAMQPCloseStopsConsumersAndIsIdempotent(t *testing.T) {
	q := newTestAMQP(t, rabbitURL, 2*time.Second, discardLog())
	ctx := context.Background()
	handled := make(chan struct{}, 1)
	done := make(chan error, 1)
	go func() {
		done <- q.Consume(ctx, "c1", func(context.Context, Message) error {
			handled <- struct{}{}
			return nil
		})
	}()
	require.NoError(t, q.Enqueue(ctx, resultMessage(1)))
	receive(t, handled)

	require.NoError(t, q.Close())
	require.NoError(t, receive(t, done), "Consume returns nil once the queue is closed")
	require.NoError(t, q.Close(), "closing twice is fine")
	require.ErrorIs(t, q.Enqueue(ctx, resultMessage(2)), errAMQPClosed)
}

// requireRabbit lets t go on only where RabbitMQ answers at rabbitAddr
// (on CI it must).
func requireRabbit(t *testing.T) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", rabbitAddr, time.Second)
	testdeps.Require(t, "RabbitMQ at "+rabbitAddr, err, "the AMQP queue tests need it running: start it with `rabbitmq-server -detached`")
	_ = conn.Close()
}

// newTestAMQP opens a queue under a fresh prefix and deletes it, over a
// direct connection, when the test ends.
func newTestAMQP(t *testing.T, url string, timeout time.Duration, log *slog.Logger) *AMQPQueue {
	t.Helper()
	testdeps.NeedsServices(t)
	requireRabbit(t)
	prefix := testPrefix()
	// Registered first so that it runs last, after consumers stopped: a
	// running consumer would declare the queue again.
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		admin, err := NewAMQP(ctx, rabbitURL, prefix, 2*time.Second, discardLog())
		require.NoError(t, err)
		defer func() { _ = admin.Close() }()
		require.NoError(t, admin.Delete(ctx), "removing the test queue")
	})
	q, err := NewAMQP(context.Background(), url, prefix, timeout, log)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, q.Close()) })
	return q
}

// consume runs q.Consume in the background until the test ends.
func consume(t *testing.T, q *AMQPQueue, name string, handle Handler) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- q.Consume(ctx, name, handle) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, receive(t, done))
	})
}

func receive[T any](t *testing.T, c <-chan T) T {
	t.Helper()
	select {
	case v := <-c:
		return v
	case <-time.After(5 * time.Second):
		t.Fatal("nothing received in 5 s")
		panic("unreachable")
	}
}

func resultMessage(jobID int64) Message {
	return Message{Type: TypeResult, Result: &Result{JobID: jobID, ReplySubject: fmt.Sprint("reply.", jobID)}}
}

func testPrefix() string { return fmt.Sprintf("hbh_amqptest_%016x:", rand.Uint64()) }

func discardLog() *slog.Logger { return slog.New(slog.DiscardHandler) }

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type proxyMode int

const (
	proxyForward proxyMode = iota // pass bytes both ways
	proxyRefuse                   // accept and close at once, as a restarting broker
	proxyStall                    // accept and never answer, and drop what open connections carry
)

// tcpProxy stands between a queue and RabbitMQ so a test can cut the
// connections without touching the shared server.
type tcpProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	mode   proxyMode
	conns  map[net.Conn]struct{}
}

func startProxy(t *testing.T, target string) *tcpProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &tcpProxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	accepted := make(chan struct{})
	go func() {
		defer close(accepted)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.serve(c)
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		<-accepted
		p.kill()
	})
	return p
}

func (p *tcpProxy) addr() string { return p.ln.Addr().String() }

func (p *tcpProxy) set(m proxyMode) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.mode = m
}

func (p *tcpProxy) serve(c net.Conn) {
	p.mu.Lock()
	mode := p.mode
	p.mu.Unlock()
	switch mode {
	case proxyRefuse:
		_ = c.Close()
		return
	case proxyStall:
		p.track(c)
		return
	}
	up, err := net.DialTimeout("tcp", p.target, time.Second)
	if err != nil {
		_ = c.Close()
		return
	}
	p.track(c)
	p.track(up)
	pipe := func(dst, src net.Conn) {
		defer func() { _ = dst.Close(); _ = src.Close() }()
		buf := make([]byte, 32<<10)
		for {
			n, err := src.Read(buf)
			if n > 0 && !p.frozen() {
				if _, err := dst.Write(buf[:n]); err != nil {
					return
				}
			}
			if err != nil {
				return
			}
		}
	}
	go pipe(up, c)
	go pipe(c, up)
}

// frozen: the connections stay open and what is sent is dropped, as when a
// broker stalls (a resource alarm, a paused VM) or the network blackholes.
func (p *tcpProxy) frozen() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.mode == proxyStall
}

func (p *tcpProxy) track(c net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.conns[c] = struct{}{}
}

// kill cuts every connection made so far, both sides.
func (p *tcpProxy) kill() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		_ = c.Close()
	}
	clear(p.conns)
}
