// Package broker carries deferred work from the web process to the task
// workers, as Celery's broker does for Antenna. The queue outlives the web
// process: a request that enqueued and returned has handed the work off.
package broker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hbharness/hbharness/reference/heartbeat"
)

// Message is one unit of deferred work: a heartbeat task, a result to
// process, or a copy of the offline check the beat enqueued.
type Message struct {
	Type      string          `json:"type"` // "heartbeat" | "result" | "check"
	Heartbeat *heartbeat.Task `json:"heartbeat,omitempty"`
	Result    *Result         `json:"result,omitempty"`
	Check     *Check          `json:"check,omitempty"`
}

// Check is one copy of the offline check (check_processing_services_online)
// as celery beat publishes it: an id, when it was sent, and when it expires,
// an absolute time set by the publisher (Celery's expires header) that the
// worker holds against its own clock when it takes the message.
type Check struct {
	ID         string    `json:"id"`
	EnqueuedAt time.Time `json:"enqueued_at"`
	Expires    time.Time `json:"expires"`
}

// Result is one worker result posted to /result, queued for processing.
type Result struct {
	JobID        int64           `json:"job_id"`
	ReplySubject string          `json:"reply_subject"`
	Payload      json.RawMessage `json:"payload,omitempty"`
}

const (
	TypeHeartbeat = "heartbeat"
	TypeResult    = "result"
	TypeCheck     = "check"
)

// Handler processes one message; an error is logged and the message dropped
// (the heartbeat task has no retries in Antenna either), except ErrCrashed.
type Handler func(ctx context.Context, m Message) error

// Broker is a durable work queue.
type Broker interface {
	Enqueue(ctx context.Context, m Message) error
	// Consume runs handle on messages until ctx ends; consumer names this
	// consumer so that its unfinished work can be recovered on restart.
	Consume(ctx context.Context, consumer string, handle Handler) error
	// Depth is the number of messages waiting.
	Depth(ctx context.Context) (int64, error)
	Close() error
}

// ErrCrashed, returned by a Handler, plays a worker process dying with the
// message in hand: Consume returns at once without acknowledging it, so the
// broker keeps it for redelivery (the Redis list on the consumer's restart,
// RabbitMQ as soon as the channel closes), as Celery's brokers do for a
// killed worker.
var ErrCrashed = errors.New("worker crashed holding the message")

// Lister is a broker that can list the messages it still holds (the Redis
// list can; AMQP cannot without consuming them).
type Lister interface {
	Pending(ctx context.Context) ([]Message, error)
}

func decode(raw string) (Message, error) {
	var m Message
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		return m, fmt.Errorf("decoding queued message %.80q: %w", raw, err)
	}
	return m, nil
}
