// Package taskqueue is Antenna's task queue as its /tasks view and its
// result workers use it: NATS JetStream, one stream and one durable pull
// consumer per job (ami/ml/orchestration/nats_queue.py). The web tier
// reserves tasks on a connection of its own per request, as upstream's
// TaskQueueManager does; the result workers acknowledge them by their reply
// subjects; a job's tasks are published when it starts (the harness seeds
// them), and its stream and consumer are deleted when it completes.
//
// Every duration here is model time (internal/modeltime): Config.Scale
// turns waits into wall time with Wall and client timeouts with Timeout.
package taskqueue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hbharness/hbharness/internal/modeltime"
)

// Upstream's timings, model time.
const (
	// ConnectTimeout is get_connection's connect_timeout=5
	// (nats_queue.py:42): a client timeout.
	ConnectTimeout = 5 * time.Second
	// APITimeout bounds each JetStream API call: nats.py 2.10's
	// JetStreamContext default, timeout=5 (nats.py nats/js/client.py:110).
	// nats_queue.py's own asyncio.wait_for of 10 s (nats_queue.py:36) never
	// comes first.
	APITimeout = 5 * time.Second
	// ReserveWait is how long /tasks waits for tasks: reserve_tasks(...,
	// timeout=0.5) (ami/jobs/views.py:465). A wait, not a failure timeout.
	ReserveWait = 500 * time.Millisecond
	// StreamMaxAge is a job stream's retention (nats_queue.py:350), and
	// AdvisoryMaxAge the advisory stream's (nats_queue.py:765).
	StreamMaxAge   = 24 * time.Hour
	AdvisoryMaxAge = time.Hour
)

// ErrUnavailable is what /tasks answers 503 for: NATS could not be reached
// or timed out (views.py:469 catches asyncio.TimeoutError, OSError and
// nats.errors.Error around the whole reservation).
var ErrUnavailable = errors.New("task queue unavailable")

// Config is one deployment's task queue.
type Config struct {
	URL string
	// Prefix goes in front of every name (Names), so that runs sharing one
	// server never meet; empty in production-like serve: upstream's names.
	Prefix string
	Scale  modeltime.Scale
	// TTR is the consumer's ack wait, MaxDeliver and MaxAckPending its
	// limits (settings.NatsTaskTTR and the others).
	TTR           time.Duration
	MaxDeliver    int
	MaxAckPending int
	Log           *slog.Logger
}

// Queue is a deployment's handle on the task queue. It holds no connection:
// each use opens what upstream opens.
type Queue struct {
	cfg   Config
	names Names
	log   *slog.Logger
}

// New checks c and returns its queue.
func New(c Config) (*Queue, error) {
	if c.URL == "" {
		return nil, errors.New("task queue: no NATS URL")
	}
	if err := c.Scale.Validate(); err != nil {
		return nil, fmt.Errorf("task queue: %w", err)
	}
	if strings.ContainsAny(c.Prefix, " \t\r\n.*>/\\") {
		return nil, fmt.Errorf("task queue: prefix %q cannot begin a NATS stream name (no spaces, '.', '*', '>' or slashes)", c.Prefix)
	}
	if c.TTR <= 0 || c.MaxDeliver < 1 || c.MaxAckPending < 1 {
		return nil, fmt.Errorf("task queue: ack wait %v, max deliver %d and max ack pending %d must all be positive", c.TTR, c.MaxDeliver, c.MaxAckPending)
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
	return &Queue{cfg: c, names: Names{Prefix: c.Prefix}, log: c.Log}, nil
}

// Names are the queue's names.
func (q *Queue) Names() Names { return q.names }

func (q *Queue) connectTimeout() time.Duration { return q.cfg.Scale.Timeout(ConnectTimeout) }
func (q *Queue) apiTimeout() time.Duration     { return q.cfg.Scale.Timeout(APITimeout) }

// dial opens a connection as get_connection does (nats_queue.py:39–46):
// connect_timeout=5, allow_reconnect=False. ctx bounds the TCP connect;
// the handshake after it is bounded by the connect timeout.
func (q *Queue) dial(ctx context.Context, name string) (*nats.Conn, jetstream.JetStream, error) {
	timeout := q.connectTimeout()
	nc, err := nats.Connect(q.cfg.URL, nats.Name(name), nats.Timeout(timeout), nats.NoReconnect(),
		nats.SetCustomDialer(ctxDialer{ctx: ctx, d: netDialer(timeout)}),
		// A per-request connection never lives long enough for a ping.
		nats.PingInterval(time.Hour))
	if err != nil {
		return nil, nil, fmt.Errorf("connecting to NATS at %s: %w", redact(q.cfg.URL), err)
	}
	js, err := jetstream.New(nc, jetstream.WithDefaultTimeout(q.apiTimeout()))
	if err != nil {
		nc.Close()
		return nil, nil, fmt.Errorf("opening JetStream at %s: %w", redact(q.cfg.URL), err)
	}
	return nc, js, nil
}

// ctxDialer makes the TCP connect of nats.Connect honour a context.
type ctxDialer struct {
	ctx context.Context
	d   net.Dialer
}

func (c ctxDialer) Dial(network, address string) (net.Conn, error) {
	return c.d.DialContext(c.ctx, network, address)
}

// timedOut says whether err is a timeout: what reserve_tasks lets through
// to the view (nats_queue.py:505–506) where it swallows other errors.
func timedOut(err error) bool {
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrTimeout)
}

// unavailable wraps err as ErrUnavailable, saying what was being done.
func unavailable(what string, err error) error {
	return fmt.Errorf("%w: %s: %w", ErrUnavailable, what, err)
}

func netDialer(timeout time.Duration) net.Dialer { return net.Dialer{Timeout: timeout} }
