package broker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// Enqueue publishes m persistently and waits for RabbitMQ to confirm it, so
// a nil error means the broker has taken the message. Concurrent calls
// take turns only to write; their confirms are awaited together.
func (q *AMQPQueue) Enqueue(ctx context.Context, m Message) error {
	body, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("encoding %s message: %w", m.Type, err)
	}
	ctx, cancel := context.WithTimeoutCause(ctx, q.timeout, q.late)
	defer cancel()
	err = q.retryStale(ctx, func() (*amqpLink, bool, error) {
		var conf *amqp.DeferredConfirmation
		l, fresh, err := q.withPublisher(ctx, func(l *amqpLink) (err error) {
			// Not mandatory, as Celery does not: were the queue deleted while
			// connected, the default exchange would drop the message.
			conf, err = l.ch.PublishWithDeferredConfirmWithContext(ctx, "", q.queue, false, false, amqp.Publishing{
				ContentType:  "application/json",
				DeliveryMode: amqp.Persistent,
				Timestamp:    time.Now(),
				Body:         body,
			})
			return err
		})
		if err != nil {
			return l, fresh, err
		}
		return l, fresh, q.awaitConfirm(ctx, l, conf)
	})
	if err != nil {
		return fmt.Errorf("enqueueing %s message on RabbitMQ queue %s at %s: %w", m.Type, q.queue, q.addr, err)
	}
	return nil
}

func (q *AMQPQueue) awaitConfirm(ctx context.Context, l *amqpLink, conf *amqp.DeferredConfirmation) error {
	acked, err := conf.WaitContext(ctx)
	switch {
	case err != nil:
		// Only the queue's own timeout condemns the connection: a caller
		// that gave up early says nothing about the broker. A stalled broker's
		// connection is closed so that the next call dials afresh instead of
		// publishing into it until the heartbeat notices.
		if errors.Is(context.Cause(ctx), q.late) {
			l.close(0)
		}
		return fmt.Errorf("waiting for RabbitMQ to confirm: %w", context.Cause(ctx))
	case !acked && l.broken():
		return errors.New("the connection closed before RabbitMQ confirmed the message")
	case !acked:
		return errors.New("RabbitMQ refused the message (nack); see the broker's log")
	}
	return nil
}

// Depth counts messages ready in RabbitMQ and messages this process's
// consumers have taken but not yet acknowledged, so a drained queue means
// every task here has run. Consumers in other processes are not counted.
func (q *AMQPQueue) Depth(ctx context.Context) (int64, error) {
	ctx, cancel := context.WithTimeoutCause(ctx, q.timeout, q.late)
	defer cancel()
	var ready int
	err := q.retryStale(ctx, func() (*amqpLink, bool, error) {
		return q.withPublisher(ctx, func(l *amqpLink) error {
			// A passive declare of a missing queue closes its channel: use a
			// throwaway one rather than the publishing channel.
			return withChannel(l, func(ch *amqp.Channel) error {
				info, err := ch.QueueDeclarePassive(q.queue, true, false, false, false, nil)
				ready = info.Messages
				return err
			})
		})
	})
	if err != nil {
		return 0, fmt.Errorf("reading depth of RabbitMQ queue %s at %s: %w", q.queue, q.addr, err)
	}
	// Read after the ready count: a message moving from ready to in flight
	// in between is counted twice, never missed.
	return int64(ready) + q.inFlight.Load(), nil
}

// Delete removes the queue and whatever it holds. Consumers still running
// declare it again when they reconnect: stop them first.
func (q *AMQPQueue) Delete(ctx context.Context) error {
	ctx, cancel := context.WithTimeoutCause(ctx, q.timeout, q.late)
	defer cancel()
	err := q.retryStale(ctx, func() (*amqpLink, bool, error) {
		return q.withPublisher(ctx, func(l *amqpLink) error {
			return withChannel(l, func(ch *amqp.Channel) error {
				_, err := ch.QueueDelete(q.queue, false, false, false)
				return err
			})
		})
	})
	if err != nil {
		return fmt.Errorf("deleting RabbitMQ queue %s at %s: %w", q.queue, q.addr, err)
	}
	return nil
}

func withChannel(l *amqpLink, fn func(*amqp.Channel) error) error {
	ch, err := l.conn.Channel()
	if err != nil {
		return fmt.Errorf("opening a channel: %w", err)
	}
	defer func() { _ = ch.Close() }()
	return fn(ch)
}

// withPublisher runs fn on the publishing connection, holding the turn,
// after dialing if there is none or it broke; it reports the connection and
// whether it was just dialed. Waiting for the turn, dialing and fn are all
// bounded by ctx: the AMQP client's writes and RPCs do not observe a
// context, so a watchdog closes the socket under fn when ctx ends, lest a
// broker that stalls (or blocks publishers on a resource alarm) hold every
// caller.
func (q *AMQPQueue) withPublisher(ctx context.Context, fn func(*amqpLink) error) (*amqpLink, bool, error) {
	select {
	case q.turn <- struct{}{}:
	case <-ctx.Done():
		return nil, false, fmt.Errorf("waiting for the publishing channel, busy with other calls: %w", context.Cause(ctx))
	}
	defer func() { <-q.turn }()
	if q.isClosed() {
		return nil, false, errAMQPClosed
	}
	fresh := false
	if q.pub == nil || q.pub.broken() {
		if q.pub != nil {
			q.log.Warn("RabbitMQ publishing connection lost; reconnecting", "addr", q.addr)
			q.forget(q.pub, 0)
			q.pub = nil
		}
		l, err := q.dial(ctx, q.setupPublisher)
		if err != nil {
			return nil, true, err
		}
		q.pub, fresh = l, true
	}
	l := q.pub
	stop := context.AfterFunc(ctx, func() { l.close(0) })
	err := fn(l)
	if !stop() && err != nil {
		err = fmt.Errorf("%w (%v)", context.Cause(ctx), err)
	}
	return l, fresh, err
}

func (q *AMQPQueue) setupPublisher(l *amqpLink) error {
	if err := l.ch.Confirm(false); err != nil {
		return fmt.Errorf("putting the channel in confirm mode: %w", err)
	}
	return nil
}
