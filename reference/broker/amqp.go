package broker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
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
	// amqpDefaultTimeout is Antenna's broker connect timeout.
	amqpDefaultTimeout = 5 * time.Second
)

// AMQPQueue is a durable RabbitMQ queue named prefix+"queue", published to
// through the default exchange with the queue name as routing key, as Celery
// does with its default queue in Antenna's production setup (DESIGN.md §1).
//
// It holds no connection while RabbitMQ is unreachable: Enqueue, Depth and
// Delete dial on demand within the queue's timeout, and Consume keeps
// redialing, so a web process starts, and keeps answering, with the broker
// down. Delivery is at least once: messages unacknowledged when a
// connection drops are redelivered by RabbitMQ.
type AMQPQueue struct {
	url     string
	addr    string // host:port, for messages: the URL may carry a password
	queue   string
	timeout time.Duration
	late    error // the cause of a context ended by timeout
	log     *slog.Logger

	// inFlight counts deliveries this process's consumers hold unacknowledged;
	// over AMQP RabbitMQ reports only the messages still ready.
	inFlight atomic.Int64

	// turn is a one-slot semaphore over pub: an AMQP channel must not be
	// published on concurrently, and a slot, unlike a mutex, can be waited
	// for within a deadline.
	turn chan struct{}
	pub  *amqpLink // nil or broken while disconnected

	mu     sync.Mutex
	closed bool
	links  map[*amqpLink]struct{} // every open connection, so Close reaches consumers' too
	done   chan struct{}          // closed by Close, to stop consumers
}

// amqpLink is one connection and the one channel its owner uses on it.
type amqpLink struct {
	raw    net.Conn
	conn   *amqp.Connection
	ch     *amqp.Channel
	closes chan *amqp.Error // why ch closed, when RabbitMQ or the network closed it
	once   sync.Once
}

func (l *amqpLink) broken() bool { return l.conn.IsClosed() || l.ch.IsClosed() }

// close says goodbye if RabbitMQ answers within grace, then drops the socket
// regardless, so it never waits longer than grace on a stalled broker.
func (l *amqpLink) close(grace time.Duration) {
	l.once.Do(func() {
		_ = l.conn.CloseDeadline(time.Now().Add(grace))
		_ = l.raw.Close()
	})
}

// NewAMQP returns the queue prefix+"queue" on the RabbitMQ server at rawURL
// (amqp:// or amqps://). timeout bounds every call that talks to RabbitMQ,
// dialing included; zero or less means Antenna's 5 s.
//
// It tries once, within ctx and timeout, to connect and declare the queue so
// that the first request finds it ready, but an unreachable broker is only
// logged: the queue connects on first use. Only a malformed URL is an error.
func NewAMQP(ctx context.Context, rawURL, prefix string, timeout time.Duration, log *slog.Logger) (*AMQPQueue, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		// url.Error repeats the URL, password included; keep only the reason.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return nil, fmt.Errorf("parsing the RabbitMQ URL: %w (want amqp://user:password@host:5672/vhost)", err)
	}
	if u.Scheme != "amqp" && u.Scheme != "amqps" {
		return nil, fmt.Errorf("RabbitMQ URL %s has scheme %q: want amqp:// or amqps://", u.Redacted(), u.Scheme)
	}
	uri, err := amqp.ParseURI(rawURL)
	if err != nil {
		return nil, fmt.Errorf("parsing the RabbitMQ URL %s: %w", u.Redacted(), err)
	}
	if timeout <= 0 {
		timeout = amqpDefaultTimeout
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	addr := net.JoinHostPort(uri.Host, strconv.Itoa(uri.Port))
	q := &AMQPQueue{
		url:     rawURL,
		addr:    addr,
		queue:   prefix + "queue",
		timeout: timeout,
		log:     log.With("queue", prefix+"queue"),
		late:    fmt.Errorf("no answer from RabbitMQ at %s within %s: %w", addr, timeout, context.DeadlineExceeded),
		turn:    make(chan struct{}, 1),
		links:   map[*amqpLink]struct{}{},
		done:    make(chan struct{}),
	}
	ctx, cancel := context.WithTimeoutCause(ctx, timeout, q.late)
	defer cancel()
	if _, _, err := q.withPublisher(ctx, func(*amqpLink) error { return nil }); err != nil {
		q.log.Warn("RabbitMQ unreachable at start; the queue will connect on first use", "addr", q.addr, "err", err)
	}
	return q, nil
}

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

// retryStale runs op, which reports the connection it used and whether it
// had just dialed it, and runs it once more if it failed because a
// connection that looked alive was dead: RabbitMQ restarted since the last
// call, which the client learns only on use. A message may then be
// published twice, which at-least-once delivery allows.
func (q *AMQPQueue) retryStale(ctx context.Context, op func() (used *amqpLink, fresh bool, err error)) error {
	used, fresh, err := op()
	if err == nil || fresh || used == nil || ctx.Err() != nil || !used.broken() {
		return err
	}
	_, _, err = op()
	return err
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

var errAMQPClosed = errors.New("the RabbitMQ queue was closed")

// dial connects, opens a channel, declares the queue on it and runs setup,
// all within ctx, and registers the link so that Close reaches it.
func (q *AMQPQueue) dial(ctx context.Context, setup func(*amqpLink) error) (*amqpLink, error) {
	l := &amqpLink{}
	var stopWatch func() bool
	props := amqp.NewConnectionProperties()
	props.SetClientConnectionName("hbharness " + q.queue)
	conn, err := amqp.DialConfig(q.url, amqp.Config{
		Properties: props,
		Dial: func(network, addr string) (net.Conn, error) {
			c, err := (&net.Dialer{Timeout: q.timeout}).DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			l.raw = c
			stopWatch = context.AfterFunc(ctx, func() { _ = c.Close() })
			return c, nil
		},
	})
	if err != nil {
		if l.raw != nil {
			stopWatch()
			_ = l.raw.Close()
		}
		return nil, q.dialErr(ctx, "connecting", err)
	}
	l.conn = conn
	fail := func(doing string, err error) (*amqpLink, error) {
		stopWatch()
		l.close(0)
		return nil, q.dialErr(ctx, doing, err)
	}
	if l.ch, err = conn.Channel(); err != nil {
		return fail("opening a channel", err)
	}
	l.closes = l.ch.NotifyClose(make(chan *amqp.Error, 1))
	// Durable, shared, kept when idle: the queue outlives web processes and
	// consumers, as Celery's does.
	if _, err := l.ch.QueueDeclare(q.queue, true, false, false, false, nil); err != nil {
		return fail("declaring the queue", err)
	}
	if err := setup(l); err != nil {
		return fail("setting up the channel", err)
	}
	if !stopWatch() {
		l.close(0)
		return nil, q.dialErr(ctx, "setting up the channel", ctx.Err())
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		l.close(0)
		return nil, errAMQPClosed
	}
	q.links[l] = struct{}{}
	return l, nil
}

func (q *AMQPQueue) dialErr(ctx context.Context, doing string, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%s to RabbitMQ at %s: %w (%v)", doing, q.addr, context.Cause(ctx), err)
	}
	return fmt.Errorf("%s to RabbitMQ at %s: %w", doing, q.addr, err)
}

// forget closes l and drops it from the links Close would close.
func (q *AMQPQueue) forget(l *amqpLink, grace time.Duration) {
	l.close(grace)
	q.mu.Lock()
	delete(q.links, l)
	q.mu.Unlock()
}

func (q *AMQPQueue) isClosed() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.closed
}

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
	wait := amqpMinBackoff
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
			if !sleep(ctx, wait) {
				break
			}
			wait = min(2*wait, amqpMaxBackoff)
			continue
		}
		if outage {
			log.Info("consumer reconnected to RabbitMQ", "addr", q.addr)
			outage = false
		}
		started := time.Now()
		err = q.serve(ctx, l, deliveries, handle, log)
		q.forget(l, q.timeout)
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
			wait = amqpMinBackoff
		}
		if !sleep(ctx, wait) {
			break
		}
		wait = min(2*wait, amqpMaxBackoff)
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
			} else if err := handle(ctx, m); err != nil {
				log.Warn("task failed (no retries, as in Antenna)", "type", m.Type, "err", err)
			}
			if err := d.Ack(false); err != nil {
				log.Warn("could not acknowledge message; RabbitMQ will deliver it again", "err", err)
			}
			handover.Reset(amqpHandover)
		}
	}
}

// Close closes every connection the queue opened and stops its consumers.
// It is safe to call more than once.
func (q *AMQPQueue) Close() error {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return nil
	}
	q.closed = true
	close(q.done)
	links := q.links
	q.links = nil
	q.mu.Unlock()
	var wg sync.WaitGroup
	for l := range links {
		wg.Go(func() { l.close(q.timeout) })
	}
	wg.Wait()
	return nil
}
