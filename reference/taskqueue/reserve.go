package taskqueue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hbharness/hbharness/reference/antenna"
)

// Reserve takes up to n of job's tasks, doing what the /tasks view does
// after its heartbeat (ami/jobs/views.py:463–474), round trip for round
// trip:
//
//   - a new connection (TaskQueueManager.__aenter__, nats_queue.py:237);
//   - STREAM.INFO of the advisory stream, created if missing
//     (_setup_advisory_stream, nats_queue.py:754, on every connection);
//   - STREAM.INFO of the job's stream; none means no tasks
//     (reserve_tasks, nats_queue.py:473);
//   - CONSUMER.INFO, creating the consumer if missing (_ensure_consumer,
//     nats_queue.py:357);
//   - js.pull_subscribe(subject, consumer) (nats_queue.py:482), which in
//     nats.py 2.10 looks the stream up by subject (STREAM.NAMES) and reads
//     the consumer's info again (nats/js/client.py:573–580), then
//     subscribes an inbox;
//   - fetch(n, timeout=0.5) (fetch below), unsubscribe, close.
//
// The error wraps ErrUnavailable where upstream answers 503: the connection
// or the advisory stream failed, or a later step timed out. Any other
// failure is what reserve_tasks logs and answers with no tasks
// (nats_queue.py:507–509): Reserve does the same.
func (q *Queue) Reserve(ctx context.Context, job int64, n int) ([]antenna.Task, error) {
	nc, js, err := q.dial(ctx, "hbharness /tasks")
	if err != nil {
		return nil, unavailable("connecting", err)
	}
	defer nc.Close()
	if err := q.ensureAdvisories(ctx, js, []int64{job}); err != nil {
		return nil, unavailable("the advisory stream", err)
	}
	tasks, err := q.reserve(ctx, nc, js, job, n)
	switch {
	case err == nil:
		return tasks, nil
	case timedOut(err):
		return nil, unavailable(fmt.Sprintf("reserving tasks of job %d", job), err)
	default:
		q.log.Warn("failed to reserve tasks; answering none, as Antenna does", "job", job, "err", err)
		return []antenna.Task{}, nil
	}
}

// reserve is reserve_tasks once the connection is open.
func (q *Queue) reserve(ctx context.Context, nc *nats.Conn, js jetstream.JetStream, job int64, n int) ([]antenna.Task, error) {
	stream, consumer, subject := q.names.Stream(job), q.names.Consumer(job), q.names.Subject(job)
	if _, err := js.Stream(ctx, stream); errors.Is(err, jetstream.ErrStreamNotFound) {
		return []antenna.Task{}, nil
	} else if err != nil {
		return nil, fmt.Errorf("reading stream %s: %w", stream, err)
	}
	if err := q.ensureConsumer(ctx, js, job); err != nil {
		return nil, err
	}
	// pull_subscribe's lookups: the stream by subject, the consumer again.
	found, err := js.StreamNameBySubject(ctx, subject)
	if err != nil {
		return nil, fmt.Errorf("finding the stream of %s: %w", subject, err)
	}
	if _, err := js.Consumer(ctx, found, consumer); err != nil {
		return nil, fmt.Errorf("reading consumer %s: %w", consumer, err)
	}
	sub, err := nc.SubscribeSync(nc.NewInbox())
	if err != nil {
		return nil, fmt.Errorf("subscribing a pull inbox: %w", err)
	}
	defer sub.Unsubscribe() //nolint:errcheck // the connection closes next
	msgs, err := fetch(ctx, nc, sub, pullSubject(found, consumer), n, q.cfg.Scale.Wall(ReserveWait))
	if err != nil && !errors.Is(err, errFetchTimeout) {
		return nil, err
	}
	// A fetch that timed out is no tasks (nats_queue.py:486–488), not an outage.
	tasks := make([]antenna.Task, 0, len(msgs))
	for _, m := range msgs {
		var t antenna.Task
		if err := json.Unmarshal(m.Data, &t); err != nil {
			// Upstream's PipelineProcessingTask(**data) raises, and the
			// whole batch is lost to the generic handler: so here.
			return nil, fmt.Errorf("decoding a task of job %d: %w", job, err)
		}
		t.ReplySubject = m.Reply
		tasks = append(tasks, t)
	}
	return tasks, nil
}

// ensureConsumer is _ensure_consumer (nats_queue.py:357–418): CONSUMER.INFO,
// and the consumer created with upstream's config when it is missing.
func (q *Queue) ensureConsumer(ctx context.Context, js jetstream.JetStream, job int64) error {
	stream, consumer := q.names.Stream(job), q.names.Consumer(job)
	_, err := js.Consumer(ctx, stream, consumer)
	if !errors.Is(err, jetstream.ErrConsumerNotFound) {
		if err != nil {
			return fmt.Errorf("reading consumer %s: %w", consumer, err)
		}
		return nil
	}
	if _, err := js.CreateConsumer(ctx, stream, q.consumerConfig(job)); err != nil {
		return fmt.Errorf("creating consumer %s: %w", consumer, err)
	}
	return nil
}

// consumerConfig is upstream's (nats_queue.py:400–411): explicit acks, the
// ack wait TASK_TTR, NATS_MAX_DELIVER deliveries, every message from the
// start, NATS_MAX_ACK_PENDING out at once, the job's subject.
func (q *Queue) consumerConfig(job int64) jetstream.ConsumerConfig {
	return jetstream.ConsumerConfig{
		Durable:       q.names.Consumer(job),
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       q.cfg.Scale.Wall(q.cfg.TTR),
		MaxDeliver:    q.cfg.MaxDeliver,
		DeliverPolicy: jetstream.DeliverAllPolicy,
		MaxAckPending: q.cfg.MaxAckPending,
		FilterSubject: q.names.Subject(job),
	}
}

// ensureAdvisories is _setup_advisory_stream (nats_queue.py:754–769):
// STREAM.INFO, and the stream created when missing.
func (q *Queue) ensureAdvisories(ctx context.Context, js jetstream.JetStream, jobs []int64) error {
	_, err := js.Stream(ctx, q.names.Advisories())
	if !errors.Is(err, jetstream.ErrStreamNotFound) {
		return err
	}
	_, err = createStream(ctx, js, q.advisoryConfig(jobs))
	if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
		return nil // another request created it first
	}
	return err
}

func (q *Queue) advisoryConfig(jobs []int64) jetstream.StreamConfig {
	return jetstream.StreamConfig{Name: q.names.Advisories(), Subjects: q.names.AdvisorySubjects(jobs),
		MaxAge: q.cfg.Scale.Wall(AdvisoryMaxAge)}
}

func pullSubject(stream, consumer string) string {
	return "$JS.API.CONSUMER.MSG.NEXT." + stream + "." + consumer
}
