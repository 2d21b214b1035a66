package broker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/hbharness/hbharness/internal/wait"
)

const (
	// A consumer that lost RabbitMQ retries quickly at first (a broker
	// restart is over in a moment) and then once a second, never faster.
	amqpMinBackoff = 50 * time.Millisecond
	amqpMaxBackoff = time.Second
	// amqpHandover keeps a consumer's delivery counted in flight for a moment
	// after its ack: with prefetch 1 RabbitMQ sends the next message only
	// once the ack arrives, and until this consumer receives it that message
	// is neither ready nor counted, so a drain polling Depth would see zero.
	amqpHandover = 100 * time.Millisecond
)

// Consume runs handle on one message at a time (prefetch 1) and acknowledges
// it once handle returns, failed or not: the task has no retries in Antenna
// either. It rides out RabbitMQ going away: it logs the loss once, redials
// with backoff and resumes, and RabbitMQ redelivers what was unacknowledged.
// It returns nil when ctx ends or the queue is closed.
func (q *AMQPQueue) Consume(ctx context.Context, consumer string, handle Handler) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-q.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	log := q.log.With("consumer", consumer)
	backoff := amqpMinBackoff
	outage := false
	for ctx.Err() == nil {
		l, deliveries, err := q.subscribe(ctx, consumer)
		if err != nil {
			if ctx.Err() != nil || q.isClosed() {
				break
			}
			if !outage {
				log.Warn("RabbitMQ unreachable; consumer will keep reconnecting", "addr", q.addr, "err", err)
				outage = true
			} else {
				log.Debug("consumer still cannot reach RabbitMQ", "addr", q.addr, "err", err)
			}
			if !wait.For(ctx, backoff) {
				break
			}
			backoff = min(2*backoff, amqpMaxBackoff)
			continue
		}
		if outage {
			log.Info("consumer reconnected to RabbitMQ", "addr", q.addr)
			outage = false
		}
		started := time.Now()
		err = q.serve(ctx, l, deliveries, handle, log)
		q.forget(l, q.timeout)
		if errors.Is(err, ErrCrashed) {
			return nil
		}
		// Close closes the links before ctx sees it: not a loss to report.
		if ctx.Err() != nil || q.isClosed() {
			break
		}
		log.Warn("consumer lost RabbitMQ; reconnecting", "addr", q.addr, "err", err)
		outage = true
		// A link that dies as soon as it is up (the queue deleted under it,
		// say) must not turn into a reconnect loop: back off unless it served
		// for a while.
		if time.Since(started) > amqpMaxBackoff {
			backoff = amqpMinBackoff
		}
		if !wait.For(ctx, backoff) {
			break
		}
		backoff = min(2*backoff, amqpMaxBackoff)
	}
	return nil
}

func (q *AMQPQueue) subscribe(ctx context.Context, consumer string) (*amqpLink, <-chan amqp.Delivery, error) {
	dctx, cancel := context.WithTimeoutCause(ctx, q.timeout, q.late)
	defer cancel()
	var deliveries <-chan amqp.Delivery
	l, err := q.dial(dctx, func(l *amqpLink) error {
		if err := l.ch.Qos(1, 0, false); err != nil {
			return fmt.Errorf("setting prefetch: %w", err)
		}
		var err error
		deliveries, err = l.ch.Consume(q.queue, consumer, false, false, false, false, nil)
		if err != nil {
			return fmt.Errorf("subscribing: %w", err)
		}
		return nil
	})
	return l, deliveries, err
}

// serve handles deliveries until ctx ends (nil) or the delivery stream
// closes (why, as an error).
func (q *AMQPQueue) serve(ctx context.Context, l *amqpLink, deliveries <-chan amqp.Delivery, handle Handler, log *slog.Logger) error {
	counted := false
	uncount := func() {
		if counted {
			q.inFlight.Add(-1)
			counted = false
		}
	}
	defer uncount()
	handover := time.NewTimer(amqpHandover)
	handover.Stop()
	defer handover.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-handover.C:
			uncount()
		case d, ok := <-deliveries:
			if !ok {
				select {
				case e, ok := <-l.closes:
					if ok && e != nil {
						return e
					}
				default:
				}
				return errors.New("RabbitMQ ended the subscription (queue deleted, or connection closed)")
			}
			handover.Stop()
			if !counted {
				q.inFlight.Add(1)
				counted = true
			}
			if m, err := decode(string(d.Body)); err != nil {
				log.Error("dropping undecodable message", "err", err)
			} else if err := handle(ctx, m); errors.Is(err, ErrCrashed) {
				return ErrCrashed // unacknowledged: requeued when the channel closes
			} else if err != nil {
				log.Warn("task failed (no retries, as in Antenna)", "type", m.Type, "err", err)
			}
			if err := d.Ack(false); err != nil {
				log.Warn("could not acknowledge message; RabbitMQ will deliver it again", "err", err)
			}
			handover.Reset(amqpHandover)
		}
	}
}
