package broker

import (
	"context"
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

	"github.com/hbharness/hbharness/internal/isoname"
)

// amqpDefaultTimeout is Antenna's broker connect timeout.
const amqpDefaultTimeout = 5 * time.Second

// AMQPQueue is a durable RabbitMQ queue named prefix+"queue", published to
// through the default exchange with the queue name as routing key, as Celery
// does with its default queue in Antenna's production setup (docs/design.md#the-pattern-under-test).
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
	args    amqp.Table // the queue's declare arguments
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
		args:    queueArgs(prefix + "queue"),
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
	if _, err := l.ch.QueueDeclare(q.queue, true, false, false, false, q.args); err != nil {
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

// queueArgs makes a test's or run's queue expire once unused: a run killed
// before it could delete its queue leaves it behind, and AMQP offers no way
// to list queues for the sweep to find it. Other queues (serve's, with the
// prefix a user chose) are kept however long they sit idle, as Celery's are.
// Every declare of a queue must pass the same arguments, so this depends on
// the name alone.
func queueArgs(queue string) amqp.Table {
	if _, err := isoname.Parse(queue); err != nil {
		return nil
	}
	return amqp.Table{"x-expires": isoname.QueueExpiry.Milliseconds()}
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
