package broker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hbharness/hbharness/internal/wait"
)

// RedisQueue is a reliable queue on a Redis list. Producers LPUSH; each
// consumer BLMOVEs the oldest message into its own processing list and removes
// it once handled, so a consumer that dies mid-task leaves the message where
// a restarted consumer of the same name puts it back. A list (rather than a
// stream with a consumer group) keeps the hot path to one O(1) command per
// side and needs no trimming or pending-entry bookkeeping for a
// fire-and-forget task without retries.
type RedisQueue struct {
	client *redis.Client
	prefix string
	queue  string
	log    *slog.Logger
	// pollEvery bounds how long a blocked consumer takes to notice ctx ending.
	pollEvery time.Duration
	// reconnect is how long a consumer waits after losing the broker.
	reconnect time.Duration
}

// NewRedisQueue returns a queue named prefix+"queue" on client.
func NewRedisQueue(client *redis.Client, prefix string, log *slog.Logger) *RedisQueue {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &RedisQueue{client: client, prefix: prefix, queue: prefix + "queue", log: log, pollEvery: time.Second, reconnect: time.Second}
}

func (q *RedisQueue) processing(consumer string) string { return q.queue + ":processing:" + consumer }

// consumers names the set of consumers that have ever served this queue.
func (q *RedisQueue) consumers() string { return q.queue + ":consumers" }

func (q *RedisQueue) Enqueue(ctx context.Context, m Message) error {
	raw, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("encoding %s message: %w", m.Type, err)
	}
	if err := q.client.LPush(ctx, q.queue, raw).Err(); err != nil {
		return fmt.Errorf("enqueueing %s message on %s: %w", m.Type, q.queue, err)
	}
	return nil
}

// Depth counts messages waiting and messages a consumer has taken but not
// yet finished, so a drained queue means every task has run.
func (q *RedisQueue) Depth(ctx context.Context) (int64, error) {
	n, err := q.client.LLen(ctx, q.queue).Result()
	if err != nil {
		return 0, fmt.Errorf("reading depth of %s: %w", q.queue, err)
	}
	consumers, err := q.client.SMembers(ctx, q.consumers()).Result()
	if err != nil {
		return 0, fmt.Errorf("reading consumers of %s: %w", q.queue, err)
	}
	for _, c := range consumers {
		m, err := q.client.LLen(ctx, q.processing(c)).Result()
		if err != nil {
			return 0, fmt.Errorf("reading depth of %s: %w", q.processing(c), err)
		}
		n += m
	}
	return n, nil
}

// Pending lists every message still waiting or taken but unfinished, so an
// observer can tell a task still queued at the end of a run from one lost.
func (q *RedisQueue) Pending(ctx context.Context) ([]Message, error) {
	lists := []string{q.queue}
	consumers, err := q.client.SMembers(ctx, q.consumers()).Result()
	if err != nil {
		return nil, fmt.Errorf("reading consumers of %s: %w", q.queue, err)
	}
	for _, c := range consumers {
		lists = append(lists, q.processing(c))
	}
	var out []Message
	for _, l := range lists {
		raws, err := q.client.LRange(ctx, l, 0, -1).Result()
		if err != nil {
			return nil, fmt.Errorf("listing %s: %w", l, err)
		}
		for _, raw := range raws {
			m, err := decode(raw)
			if err != nil {
				return nil, err
			}
			out = append(out, m)
		}
	}
	return out, nil
}

// Consume recovers what this consumer left unfinished, then works until ctx ends.
func (q *RedisQueue) Consume(ctx context.Context, consumer string, handle Handler) error {
	proc := q.processing(consumer)
	registered := false
	for ctx.Err() == nil && !registered {
		if err := q.client.SAdd(ctx, q.consumers(), consumer).Err(); err != nil {
			q.log.Warn("broker unreachable while registering consumer; retrying", "consumer", consumer, "err", err)
			if !wait.For(ctx, q.reconnect) {
				return nil
			}
			continue
		}
		registered = true
	}
	for ctx.Err() == nil {
		err := q.client.LMove(ctx, proc, q.queue, "RIGHT", "RIGHT").Err()
		if errors.Is(err, redis.Nil) {
			break
		}
		if err != nil {
			q.log.Warn("broker unreachable while recovering unfinished work; retrying", "consumer", consumer, "err", err)
			if !wait.For(ctx, q.reconnect) {
				return nil
			}
		}
	}
	for ctx.Err() == nil {
		raw, err := q.client.BLMove(ctx, q.queue, proc, "RIGHT", "LEFT", q.pollEvery).Result()
		switch {
		case errors.Is(err, redis.Nil):
			continue
		case err != nil:
			if ctx.Err() != nil {
				return nil
			}
			q.log.Warn("broker unreachable; consumer waiting", "consumer", consumer, "err", err)
			if !wait.For(ctx, q.reconnect) {
				return nil
			}
			continue
		}
		if m, err := decode(raw); err != nil {
			q.log.Error("dropping undecodable message", "err", err)
		} else if err := handle(ctx, m); errors.Is(err, ErrCrashed) {
			return nil // dead with the message still in its processing list
		} else if err != nil {
			q.log.Warn("task failed (no retries, as in Antenna)", "type", m.Type, "err", err)
		}
		// Acknowledge with a fresh context: a message handled just as ctx ended
		// must still leave the processing list, or a restart would run it twice.
		ackCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		if err := q.client.LRem(ackCtx, proc, 1, raw).Err(); err != nil {
			q.log.Warn("could not acknowledge message; it may run again after a restart", "err", err)
		}
		cancel()
	}
	return nil
}

// Close is a no-op: the client belongs to the caller.
func (q *RedisQueue) Close() error { return nil }
