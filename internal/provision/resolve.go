package provision

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/redis/go-redis/v9"
)

// ErrUnavailable is returned when the services can neither be reached nor
// started; callers exit 2.
var ErrUnavailable = errors.New("services unavailable")

// Services are the resolved addresses and where they came from.
type Services struct {
	URLs
	Source  string // "environment" or "docker"
	cleanup func()
}

// Close removes containers this process started; servers found running are left alone.
func (s *Services) Close() {
	if s != nil && s.cleanup != nil {
		s.cleanup()
	}
}

// Plan is what Resolve decided to do, from what it could reach.
type Plan int

const (
	UseEnvironment Plan = iota
	StartContainers
	GiveUp
)

// Choose is the selection rule, kept pure so it can be tested on a machine
// without Docker: reachable services are used as they are; when something is
// unreachable and a Docker daemon answers, containers replace only what was
// unreachable; otherwise give up.
func Choose(dbOK, redisOK, brokerOK, dockerOK bool) Plan {
	switch {
	case dbOK && redisOK && brokerOK:
		return UseEnvironment
	case dockerOK:
		return StartContainers
	default:
		return GiveUp
	}
}

// Options tune Resolve.
type Options struct {
	Log        *slog.Logger
	NoDocker   bool          // never try containers (e.g. `serve`, which uses the URLs as they are)
	ProbeAfter time.Duration // per-service probe timeout; default 3 s
}

// Resolve probes the URLs and, if needed and possible, starts containers.
func Resolve(ctx context.Context, u URLs, opt Options) (*Services, error) {
	if opt.ProbeAfter == 0 {
		opt.ProbeAfter = 3 * time.Second
	}
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	dbErr := ProbePostgres(ctx, u.Database, opt.ProbeAfter)
	redisErr := ProbeRedis(ctx, u.Redis, opt.ProbeAfter)
	brokerErr := redisErr
	if u.Broker != u.Redis {
		brokerErr = ProbeBroker(ctx, u.Broker, opt.ProbeAfter)
	}
	if brokerErr != nil && isAMQP(u.Broker) {
		// Containers only stand in for Postgres and Redis: swapping the
		// user's RabbitMQ for a Redis list would change what is measured.
		return nil, fmt.Errorf("%w: broker %s: %v\nfix: start RabbitMQ (rabbitmq-server -detached) or unset BROKER_URL to use Redis", ErrUnavailable, Redact(u.Broker), brokerErr)
	}
	natsErr := ProbeNATS(ctx, u.NATS, opt.ProbeAfter)
	if natsErr != nil && dbErr == nil && redisErr == nil && brokerErr == nil {
		// Containers do not stand in for NATS.
		return nil, fmt.Errorf("%w: nats %s: %v\nfix: start nats-server with JetStream (bash scripts/services.sh) or set NATS_URL", ErrUnavailable, Redact(u.NATS), natsErr)
	}
	dockerErr := errors.New("not tried (disabled)")
	if !opt.NoDocker && (dbErr != nil || redisErr != nil || brokerErr != nil) {
		dockerErr = dockerReachable()
	}
	switch Choose(dbErr == nil, redisErr == nil, brokerErr == nil, dockerErr == nil) {
	case UseEnvironment:
		return &Services{URLs: u, Source: "environment"}, nil
	case StartContainers:
		if natsErr != nil {
			break // the containers would not bring NATS
		}
		opt.Log.Info("starting service containers with Docker", "postgres", dbErr != nil, "redis", redisErr != nil || brokerErr != nil)
		return startContainers(ctx, u, dbErr != nil, redisErr != nil || brokerErr != nil)
	}
	var b strings.Builder
	b.WriteString("tried\n")
	line := func(name, url string, err error) {
		status := "ok"
		if err != nil {
			status = err.Error()
		}
		fmt.Fprintf(&b, "  %-8s %s: %s\n", name, Redact(url), status)
	}
	line("postgres", u.Database, dbErr)
	line("redis", u.Redis, redisErr)
	if u.Broker != u.Redis {
		line("broker", u.Broker, brokerErr)
	}
	line("nats", u.NATS, natsErr)
	fmt.Fprintf(&b, "  docker   %s\n", dockerErr)
	b.WriteString("fix: start the servers (bash scripts/services.sh), point DATABASE_URL / REDIS_URL / BROKER_URL / NATS_URL at running ones, or start a Docker daemon (it stands in for Postgres and Redis, not NATS)")
	return nil, fmt.Errorf("%w: %s", ErrUnavailable, b.String())
}

// ProbePostgres connects and pings once.
func ProbePostgres(ctx context.Context, dsn string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return fmt.Errorf("cannot connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	return conn.Ping(ctx)
}

// ProbeRedis pings once.
func ProbeRedis(ctx context.Context, rawURL string, timeout time.Duration) error {
	opt, err := redis.ParseURL(rawURL)
	if err != nil {
		return fmt.Errorf("invalid Redis URL: %w", err)
	}
	opt.DialTimeout, opt.ReadTimeout, opt.MaxRetries = timeout, timeout, -1
	c := redis.NewClient(opt)
	defer c.Close()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("cannot connect: %w", err)
	}
	return nil
}

func isAMQP(rawURL string) bool {
	return strings.HasPrefix(rawURL, "amqp://") || strings.HasPrefix(rawURL, "amqps://")
}

// ProbeBroker checks a BROKER_URL: Redis by PING, RabbitMQ by an AMQP handshake.
func ProbeBroker(ctx context.Context, rawURL string, timeout time.Duration) error {
	if !isAMQP(rawURL) {
		return ProbeRedis(ctx, rawURL, timeout)
	}
	conn, err := amqp.DialConfig(rawURL, amqp.Config{Dial: amqp.DefaultDial(timeout)})
	if err != nil {
		return fmt.Errorf("cannot connect: %w", err)
	}
	return conn.Close()
}
