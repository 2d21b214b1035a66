package taskqueue

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Acker is the result workers' side of the queue: it acknowledges tasks by
// their reply subjects and removes a completed job's stream and consumer.
//
// Upstream opens a TaskQueueManager per acknowledgement (_ack_task_via_nats,
// ami/jobs/tasks.py:479–502: connect, advisory stream check, publish +ACK,
// flush, close). An Acker keeps one connection for its pool of workers
// instead: at the reference's result rates, thousands a second at a
// compressed time scale, a connection per ack would cost more CPU than the
// machine has, and that cost sits on the ml_results workers, off the
// heartbeat's path and queue. Like upstream's, the connection neither
// reconnects nor buffers by itself: an ack while NATS is down fails and is
// not retried (the task is then redelivered after the ack wait); the next
// ack dials again. Nor does an ack wait for a flush, as upstream's must
// before it closes its connection: on one kept open, the connection's own
// flusher sends it at once, and a round trip per result would make the
// workers, not the queue, what limits how fast tasks are acknowledged.
type Acker struct {
	q  *Queue
	mu sync.Mutex
	nc *nats.Conn
	js jetstream.JetStream
}

// Acker returns an Acker on q; Close releases its connection.
func (q *Queue) Acker() *Acker { return &Acker{q: q} }

func (a *Acker) conn(ctx context.Context) (*nats.Conn, jetstream.JetStream, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.nc != nil && !a.nc.IsClosed() {
		return a.nc, a.js, nil
	}
	nc, js, err := a.q.dial(ctx, "hbharness results")
	if err != nil {
		return nil, nil, unavailable("connecting", err)
	}
	a.nc, a.js = nc, js
	return nc, js, nil
}

// ackFlushTimeout bounds the flush after an acknowledgement when the
// caller set no deadline: nats-py's flush default, which upstream's bare
// flush() uses (10 s; nats.go's Flush uses the same).
const ackFlushTimeout = 10 * time.Second

// Ack acknowledges the task reply names: acknowledge_task's publish of
// +ACK, then its flush (nats_queue.py:511–531, the flush at 526). Without
// the flush the +ACK may sit in the client's buffer while the ack wait
// runs out, and the server hands the done task out again: seen beside two
// CPU hogs, a task acknowledged at once came back after 3 s.
func (a *Acker) Ack(ctx context.Context, reply string) error {
	nc, _, err := a.conn(ctx)
	if err != nil {
		return err
	}
	if err := nc.Publish(reply, []byte("+ACK")); err != nil {
		return fmt.Errorf("acknowledging %s: %w", reply, err)
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, ackFlushTimeout)
		defer cancel()
	}
	if err := nc.FlushWithContext(ctx); err != nil {
		return fmt.Errorf("acknowledging %s: the +ACK did not reach NATS: %w", reply, err)
	}
	return nil
}

// Finish removes a completed job's consumer, then its stream, as
// cleanup_job_resources does (nats_queue.py:879–900). Either already gone
// is no error.
func (a *Acker) Finish(ctx context.Context, job int64) error {
	_, js, err := a.conn(ctx)
	if err != nil {
		return err
	}
	stream := a.q.names.Stream(job)
	err = js.DeleteConsumer(ctx, stream, a.q.names.Consumer(job))
	if errors.Is(err, jetstream.ErrConsumerNotFound) || errors.Is(err, jetstream.ErrStreamNotFound) {
		err = nil
	}
	if serr := js.DeleteStream(ctx, stream); serr != nil && !errors.Is(serr, jetstream.ErrStreamNotFound) {
		err = errors.Join(err, serr)
	}
	if err != nil {
		return fmt.Errorf("removing the queue of finished job %d: %w", job, err)
	}
	return nil
}

// Close closes the connection, if any.
func (a *Acker) Close() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.nc != nil {
		a.nc.Close()
		a.nc = nil
	}
}
