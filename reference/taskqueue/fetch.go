package taskqueue

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/hbharness/hbharness/internal/wait"
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
// at max_ack_pending) therefore costs the request the whole wait:
// nats-server answers a pull that carries an expiry and finds nothing only
// when it expires, and when the first answer is a status nats.py waits out
// the rest of its timeout for more.
//
// Upstream's one timeout plays two parts, kept apart here. It is a wait
// (linger): the pulls' expiry, and what an empty consumer costs; that is
// model time scaled with Wall, like every wait. It also bounds how long the
// client gives the server to answer at all (patience), which waits on this
// machine, not on the model: it stays upstream's 0.5 s of wall time at
// every scale. Kept as one at time scale 0.03 (15 ms), a busy machine's
// scheduling made replies of a healthy server miss it, and jobs that had
// tasks answered none (measured: replies 36–107 ms late, a hundred empty
// answers a second under the steady scenario; p99 of /tasks 350 ms under
// the race detector beside other tests), which at real time never happens.
// It stays under every client's timeout (modeltime.MinTimeout), so that a
// pull never answered (nats-server 2.9.10 leaves some unanswered at
// max_ack_pending: 22 of about 3,000 with 32 clients) ends in no tasks, as
// upstream's does, not in the client giving up.
func fetch(ctx context.Context, nc *nats.Conn, sub *nats.Subscription, subject string, batch int, linger time.Duration) ([]*nats.Msg, error) {
	return fetchWithin(ctx, nc, sub, subject, batch, linger, max(linger, ReserveWait))
}

// fetchWithin is fetch with the patience given.
func fetchWithin(ctx context.Context, nc *nats.Conn, sub *nats.Subscription, subject string, batch int, linger, patience time.Duration) ([]*nats.Msg, error) {
	start := time.Now()
	lingered, deadline := start.Add(linger), start.Add(max(linger, patience))
	// nats.py asks the server to expire the pull 100 µs before its own timeout.
	expires := linger - 100*time.Microsecond
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
	default:
		// Nothing came but a status: nats.py waits for more until its
		// timeout, which no reply of this pull can end any more. Its
		// expiry has (on this server) or has not yet passed: the request
		// lasts the linger either way.
		if !wait.Until(ctx, lingered) {
			return nil, ctx.Err()
		}
		needed = 0
	}
	// The rest of the batch comes before the server's status that ends the
	// pull (its expiry, a linger after it got the pull), which is awaited
	// with the same patience: stopping at our own linger instead would
	// leave the server delivering, later by the network's delay, tasks that
	// nobody reads and that are lost until their ack wait. At real time
	// upstream's deadline falls after the server's expiry (it asks for 100 µs
	// less); compressed, a millisecond's delay would not.
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
	// The lingering pull (client.py:1276): by now the no-wait one has spent
	// the whole wait, so it finds its deadline past and takes only a reply
	// already in, as nats.py's does.
	if err := pull(nc, sub, subject, batch, expires, false); err != nil {
		return nil, err
	}
	m, err = next(ctx, sub, lingered)
	if err != nil {
		if gotAny && errors.Is(err, errFetchTimeout) {
			return nil, errFetchTimeout // nats.py's FetchTimeoutError: the same to reserve_tasks
		}
		return nil, err
	}
	if status(m) == "" {
		return []*nats.Msg{m}, nil
	}
	return nil, errFetchTimeout
}

// fetchOne is _fetch_one (client.py:1103–1178): one lingering pull, the
// first task back ends it; a temporary status (the pull's expiry, a linger
// later) is a timeout.
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
