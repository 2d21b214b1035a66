package taskqueue

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
)

// errFetchTimeout is nats.py's fetch timing out with nothing: reserve_tasks
// answers no tasks (nats_queue.py:486–488).
var errFetchTimeout = errors.New("fetch timed out with no task")

// Status headers of the pull protocol.
const (
	statusHeartbeat = "100"
	statusNoMsgs    = "404"
	statusTimeout   = "408"
	statusConflict  = "409"
)

// fetch is nats.py 2.10's PullSubscription.fetch(batch, timeout) (nats/js/
// client.py:1051–1101), pull request for pull request, on the protocol
// rather than through nats.go's jetstream Fetch, whose requests differ:
// FetchNoWait sends no expiry, so the server answers an empty consumer at
// once, where upstream's no-wait pull carries one and waits.
//
// A batch of one is _fetch_one (client.py:1103): a lingering pull that
// returns with the first task. A larger batch is _fetch_n (client.py:1180):
// a no-wait pull for what is available now, returned as soon as it is in;
// only when it brought nothing, a lingering pull. An empty consumer (or one
// at max_ack_pending) therefore costs the request the whole wait: nats-server
// answers a no-wait pull that carries an expiry only when it expires, and
// nats.py waits out the rest of its timeout for more after a status reply.
func fetch(ctx context.Context, nc *nats.Conn, sub *nats.Subscription, subject string, batch int, wait time.Duration) ([]*nats.Msg, error) {
	start := time.Now()
	deadline := start.Add(wait)
	// nats.py asks the server to expire the pull 100 µs before its own timeout.
	expires := wait - 100*time.Microsecond
	if batch == 1 {
		return fetchOne(ctx, nc, sub, subject, expires, deadline)
	}
	var msgs []*nats.Msg
	gotAny := false
	needed := batch
	if err := pull(nc, sub, subject, needed, expires, true); err != nil {
		return nil, err
	}
	m, err := next(ctx, sub, deadline)
	if err != nil {
		return nil, err
	}
	switch st := status(m); {
	case st == statusHeartbeat:
		gotAny = true
	case processable(st):
		msgs, needed = append(msgs, m), needed-1
	case !temporary(st):
		return nil, apiError(m)
	}
	for range needed { // range(0, needed): evaluated once
		m, err := next(ctx, sub, deadline)
		if err != nil {
			if errors.Is(err, errFetchTimeout) {
				break
			}
			return nil, err
		}
		st := status(m)
		if st == statusNoMsgs || st == statusTimeout {
			break
		}
		if st == statusHeartbeat {
			gotAny = true
			continue
		}
		if processable(st) {
			msgs, needed = append(msgs, m), needed-1
		} else if !temporary(st) {
			return nil, apiError(m)
		}
	}
	if len(msgs) > 0 {
		return msgs, nil
	}
	// The lingering pull (client.py:1276): by now the no-wait one has
	// usually spent the whole timeout, so it mostly finds its deadline past.
	if err := pull(nc, sub, subject, needed, expires, false); err != nil {
		return nil, err
	}
	for needed > 0 {
		m, err := next(ctx, sub, deadline)
		if err != nil {
			if errors.Is(err, errFetchTimeout) && len(msgs) > 0 {
				break
			}
			return msgs, err
		}
		st := status(m)
		if st == statusHeartbeat {
			gotAny = true
			continue
		}
		if st == "" {
			msgs, needed = append(msgs, m), needed-1
		}
		break
	}
	for range needed {
		if time.Now().After(deadline) {
			return msgs, nil
		}
		m, err := next(ctx, sub, deadline)
		if err != nil {
			break
		}
		st := status(m)
		if st == statusHeartbeat {
			gotAny = true
			continue
		}
		if processable(st) {
			msgs, needed = append(msgs, m), needed-1
		} else if !temporary(st) {
			return msgs, apiError(m)
		}
	}
	if len(msgs) == 0 && gotAny {
		return nil, errFetchTimeout
	}
	return msgs, nil
}

// fetchOne is _fetch_one (client.py:1103–1178): one lingering pull, the
// first task back ends it; a temporary status is a timeout.
func fetchOne(ctx context.Context, nc *nats.Conn, sub *nats.Subscription, subject string, expires time.Duration, deadline time.Time) ([]*nats.Msg, error) {
	if err := pull(nc, sub, subject, 1, expires, false); err != nil {
		return nil, err
	}
	for {
		m, err := next(ctx, sub, deadline)
		if err != nil {
			return nil, err
		}
		switch st := status(m); {
		case st == statusHeartbeat:
			continue
		case temporary(st):
			return nil, errFetchTimeout
		case st != "":
			return nil, apiError(m)
		}
		return []*nats.Msg{m}, nil
	}
}

// pull publishes a pull request as nats.py builds it: {"batch": n,
// "expires": ns[, "no_wait": true]}, replies to the subscription's inbox.
func pull(nc *nats.Conn, sub *nats.Subscription, subject string, batch int, expires time.Duration, noWait bool) error {
	body := strconv.AppendInt([]byte(`{"batch": `), int64(batch), 10)
	if expires > 0 {
		body = strconv.AppendInt(append(body, `, "expires": `...), int64(expires), 10)
	}
	if noWait {
		body = append(body, `, "no_wait": true`...)
	}
	body = append(body, '}')
	if err := nc.PublishRequest(subject, sub.Subject, body); err != nil {
		return fmt.Errorf("sending a pull request: %w", err)
	}
	return nil
}

// next waits for the next reply until deadline. A deadline already past
// still takes a reply that is already in, as nats.py's asyncio.wait_for does.
func next(ctx context.Context, sub *nats.Subscription, deadline time.Time) (*nats.Msg, error) {
	wait := time.Until(deadline)
	if wait <= 0 {
		m, err := sub.NextMsg(0)
		if errors.Is(err, nats.ErrTimeout) {
			return nil, errFetchTimeout
		}
		return m, err
	}
	wctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	m, err := sub.NextMsgWithContext(wctx)
	if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
		return nil, errFetchTimeout
	}
	return m, err
}

func status(m *nats.Msg) string {
	if m.Header == nil || len(m.Data) > 0 {
		return ""
	}
	return m.Header.Get("Status")
}

// processable is _is_processable_msg for a status that is not an error: a
// task. temporary are the statuses nats.py passes over (client.py:688).
func processable(st string) bool { return st == "" }
func temporary(st string) bool {
	return st == statusNoMsgs || st == statusTimeout || st == statusConflict
}

func apiError(m *nats.Msg) error {
	return fmt.Errorf("pull answered %s %s", m.Header.Get("Status"), m.Header.Get("Description"))
}
