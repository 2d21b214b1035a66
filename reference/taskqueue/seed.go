package taskqueue

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Job is one job's supply of tasks: Tasks to publish when it starts, or 0
// for a job larger than any run, which the Feeder keeps topped up.
type Job struct {
	ID    int64
	Tasks int64
}

// Levels an unlimited job's stream is kept at: never fewer tasks waiting
// than the consumer may have out at once (MaxAckPending) plus feedReserve,
// so that it runs dry only where upstream's would (max_ack_pending reached),
// never because the feeder is behind; topped up by feedChunk at a time.
const (
	feedReserve = 1000
	feedChunk   = 1000
)

// feedLow counts MaxAckPending up to feedAckCap only: past that many tasks
// out at once the ack pace, not the level, is what keeps a job supplied,
// and a limit set out of the way (a benchmark's) must not be published.
func (q *Queue) feedLow() int64 { return int64(min(q.cfg.MaxAckPending, feedAckCap)) + feedReserve }

const feedAckCap = 10_000

func (q *Queue) feedHigh() int64 { return q.feedLow() + feedChunk }

// Seed starts jobs as queue_images_to_nats does (ami/ml/orchestration/
// jobs.py:84): a fresh stream and consumer per job, and its tasks published
// (an unlimited job's first feedLow). Streams of the same names an earlier
// seed left are deleted first. It also sets up the advisory stream:
// recreated for a prefixed run, with its jobs' subjects; made sure of with
// an empty prefix, which upstream never deletes.
func (q *Queue) Seed(ctx context.Context, jobs []Job) error {
	nc, js, err := q.dialLong(ctx, "hbharness seed", false)
	if err != nil {
		return err
	}
	defer nc.Close()
	ids := make([]int64, len(jobs))
	for i, j := range jobs {
		ids[i] = j.ID
		if err := q.startJob(ctx, js, j); err != nil {
			return err
		}
	}
	if q.names.Prefix != "" {
		if err := js.DeleteStream(ctx, q.names.Advisories()); err != nil && !errors.Is(err, jetstream.ErrStreamNotFound) {
			return fmt.Errorf("deleting the advisory stream of an earlier seed: %w", err)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	err = q.ensureAdvisories(ctx, js, ids)
	if isOverlap(err) {
		// Another deployment on this server holds an advisory subject we
		// want (a production-like serve's $JS.EVENT.ADVISORY.>, or a run's
		// exact ones under it). Nothing here reads advisories: keep the
		// stream, which every reserve reads, without capturing any.
		q.log.Warn("the advisory stream overlaps another deployment's on this NATS server; it captures nothing",
			"stream", q.names.Advisories(), "err", err)
		cfg := q.advisoryConfig(nil)
		cfg.Subjects = []string{q.names.Prefix + "hbharness.advisories.unused"}
		_, err = createStream(ctx, js, cfg)
	}
	if err != nil {
		return fmt.Errorf("creating the advisory stream %s: %w", q.names.Advisories(), err)
	}
	return nil
}

// jsErrSubjectsOverlap is NATS refusing a stream whose subjects another
// stream holds (the server's JSStreamSubjectOverlapErr; nats.go names no
// constant for it).
const jsErrSubjectsOverlap jetstream.ErrorCode = 10065

func isOverlap(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode == jsErrSubjectsOverlap
}

// startJob creates job's stream and consumer afresh and publishes its tasks.
func (q *Queue) startJob(ctx context.Context, js jetstream.JetStream, j Job) error {
	stream := q.names.Stream(j.ID)
	if err := js.DeleteStream(ctx, stream); err != nil && !errors.Is(err, jetstream.ErrStreamNotFound) {
		return fmt.Errorf("deleting stream %s of an earlier seed: %w", stream, err)
	}
	if _, err := createStream(ctx, js, jetstream.StreamConfig{Name: stream, Subjects: []string{q.names.Subject(j.ID)},
		MaxAge: q.cfg.Scale.Wall(StreamMaxAge)}); err != nil {
		return fmt.Errorf("creating stream %s: %w", stream, err)
	}
	if _, err := js.CreateConsumer(ctx, stream, q.consumerConfig(j.ID)); err != nil {
		return fmt.Errorf("creating consumer %s: %w", q.names.Consumer(j.ID), err)
	}
	n := j.Tasks
	if n == 0 {
		n = q.feedLow()
	}
	return q.publish(ctx, js, j.ID, 1, n)
}

// publish publishes tasks for images from to from+n-1 of job and waits for
// every one to be stored.
func (q *Queue) publish(ctx context.Context, js jetstream.JetStream, job, from, n int64) error {
	var failed atomic.Int64
	var firstErr atomic.Value
	subject := q.names.Subject(job)
	for i := from; i < from+n; i++ {
		f, err := js.PublishAsync(subject, taskBody(i))
		if err != nil {
			return fmt.Errorf("publishing task %d of job %d: %w", i, job, err)
		}
		go func() {
			select {
			case <-f.Ok():
			case err := <-f.Err():
				failed.Add(1)
				firstErr.CompareAndSwap(nil, err)
			}
		}()
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-ctx.Done():
		return fmt.Errorf("publishing the tasks of job %d: %w", job, ctx.Err())
	}
	if k := failed.Load(); k > 0 {
		return fmt.Errorf("publishing the tasks of job %d: %d of %d failed, first: %v", job, k, n, firstErr.Load())
	}
	return nil
}

// dialLong opens a connection for the deployment's own background work
// (seeding, feeding, acknowledging), with a longer API timeout than a
// request's, since publishing thousands of tasks waits on many acks.
// reconnect keeps it across an outage.
func (q *Queue) dialLong(ctx context.Context, name string, reconnect bool) (*nats.Conn, jetstream.JetStream, error) {
	timeout := q.connectTimeout()
	opts := []nats.Option{nats.Name(name), nats.Timeout(timeout),
		nats.SetCustomDialer(ctxDialer{ctx: ctx, d: netDialer(timeout)})}
	if reconnect {
		opts = append(opts, nats.MaxReconnects(-1), nats.ReconnectWait(max(10*time.Millisecond, q.cfg.Scale.Wall(time.Second))),
			nats.ReconnectBufSize(-1))
	} else {
		opts = append(opts, nats.NoReconnect())
	}
	nc, err := nats.Connect(q.cfg.URL, opts...)
	if err != nil {
		return nil, nil, unavailable("connecting to "+redact(q.cfg.URL), err)
	}
	js, err := jetstream.New(nc, jetstream.WithDefaultTimeout(q.apiTimeout()), jetstream.WithPublishAsyncMaxPending(4096),
		jetstream.WithPublishAsyncTimeout(q.apiTimeout()))
	if err != nil {
		nc.Close()
		return nil, nil, fmt.Errorf("opening JetStream at %s: %w", redact(q.cfg.URL), err)
	}
	return nc, js, nil
}
