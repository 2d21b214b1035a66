package provision

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/redis/go-redis/v9"

	"github.com/hbharness/hbharness/internal/isoname"
	"github.com/hbharness/hbharness/internal/redisconn"
)

// DefaultSweepAge is the age past which gc, and a run before it starts,
// take a test's or run's leftovers for abandoned: far longer than any of
// them lasts (a run takes minutes of wall time), so none in progress is hit.
const DefaultSweepAge = time.Hour

// sweepDial bounds each connection attempt, so that a server that is down
// or blackholed costs the sweep seconds, not a hang.
const sweepDial = 10 * time.Second

// Swept is what Sweep removed, each list sorted. Nothing else was touched.
type Swept struct {
	Databases []string // Postgres databases dropped
	Keys      []string // Redis keys unlinked
	Queues    []string // RabbitMQ queues deleted
	Streams   []string // NATS JetStream streams deleted, consumers and all
}

// Len is the number of things removed.
func (s Swept) Len() int { return len(s.Databases) + len(s.Keys) + len(s.Queues) + len(s.Streams) }

// Sweep removes what tests and runs started more than olderThan before now
// left behind on the servers of urls: their databases, their Redis keys
// (queue lists and job progress sets have no TTL), their NATS streams (a
// job's stream keeps its tasks for a day) and, when the broker is RabbitMQ,
// their queues. A run cleans up after itself; this is for the ones
// that could not, killed with SIGKILL or crashed by a panic.
//
// Only names that ParseName accepts are touched, so databases, keys and
// queues of any other origin, and those of tests and runs started within
// olderThan, survive. olderThan must therefore exceed the longest test or
// run that may be in progress: theirs are dropped, connections and all.
//
// A service that cannot be reached, or an item that cannot be removed, does
// not stop the others; the error names each failure, and Swept still lists
// what was removed.
func Sweep(ctx context.Context, urls URLs, olderThan time.Duration, now time.Time, log *slog.Logger) (Swept, error) {
	if olderThan <= 0 {
		return Swept{}, fmt.Errorf("sweeping leftovers: the age must be positive, got %s (zero would remove the databases of tests and runs in progress)", olderThan)
	}
	return sweep(ctx, urls, startedBefore(now.Add(-olderThan)), log)
}

func startedBefore(cutoff time.Time) func(Name) bool {
	return func(n Name) bool { return n.Started.Before(cutoff) }
}

// sweep removes what bears a name of ours that old accepts. Tests narrow
// old to their own kind, so that they never touch another's leftovers.
func sweep(ctx context.Context, urls URLs, old func(Name) bool, log *slog.Logger) (Swept, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var (
		swept Swept
		errs  []error
		// The bases of every old name seen, whether or not its removal
		// worked: each may still have a RabbitMQ queue.
		seen = map[string]bool{}
	)

	dbs, bases, err := sweepDatabases(ctx, urls.Database, old, log)
	swept.Databases = dbs
	errs = append(errs, err)
	for _, b := range bases {
		seen[b] = true
	}

	redisURLs := []string{urls.Redis}
	if urls.Broker != "" && urls.Broker != urls.Redis && !isAMQP(urls.Broker) {
		// A broker on another Redis holds the queue lists there.
		redisURLs = append(redisURLs, urls.Broker)
	}
	for _, u := range redisURLs {
		keys, bases, err := sweepKeys(ctx, u, old, log)
		swept.Keys = append(swept.Keys, keys...)
		errs = append(errs, err)
		for _, b := range bases {
			seen[b] = true
		}
	}
	slices.Sort(swept.Keys)

	if urls.NATS != "" {
		swept.Streams, err = sweepStreams(ctx, urls.NATS, old, log)
		errs = append(errs, err)
	}

	if isAMQP(urls.Broker) {
		names := make([]string, 0, len(seen))
		for b := range seen {
			names = append(names, Prefix(b)+"queue")
		}
		slices.Sort(names)
		swept.Queues, err = sweepQueues(ctx, urls.Broker, names, log)
		errs = append(errs, err)
	}
	return swept, errors.Join(errs...)
}

// sweepDatabases drops the old databases of our naming and returns them,
// and the bases of every old name found.
func sweepDatabases(ctx context.Context, dsn string, old func(Name) bool, log *slog.Logger) (dropped, bases []string, err error) {
	cctx, cancel := context.WithTimeout(ctx, sweepDial)
	defer cancel()
	conn, err := pgx.Connect(cctx, dsn)
	if err != nil {
		return nil, nil, fmt.Errorf("sweeping databases: cannot reach Postgres at %s (is it running? is DATABASE_URL right?): %w", Redact(dsn), err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	// The database we are connected to cannot be dropped from itself; one
	// of ours only is if DATABASE_URL was pointed at it, and then it is in use.
	rows, err := conn.Query(ctx, "SELECT datname FROM pg_database WHERE datname <> current_database() ORDER BY datname")
	if err != nil {
		return nil, nil, fmt.Errorf("sweeping databases: listing the databases on %s: %w", Redact(dsn), err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, nil, fmt.Errorf("sweeping databases: listing the databases on %s: %w", Redact(dsn), err)
	}
	var errs []error
	for _, name := range names {
		n, err := ParseName(name)
		if err != nil || !old(n) {
			continue
		}
		bases = append(bases, n.Base)
		_, err = conn.Exec(ctx, "DROP DATABASE "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
		var pgErr *pgconn.PgError
		switch {
		case errors.As(err, &pgErr) && pgErr.Code == "3D000": // invalid_catalog_name
			log.Debug("database already gone; another sweep or its run removed it", "database", name)
		case err != nil:
			errs = append(errs, fmt.Errorf("dropping leftover database %s on %s (drop it by hand with DROP DATABASE %s WITH (FORCE)): %w", name, Redact(dsn), name, err))
		default:
			log.Debug("dropped leftover database", "database", name, "started", n.Started)
			dropped = append(dropped, name)
		}
	}
	return dropped, bases, errors.Join(errs...)
}

// sweepKeys unlinks the old keys of our naming on one Redis and returns
// them, and the bases of their names.
func sweepKeys(ctx context.Context, rawURL string, old func(Name) bool, log *slog.Logger) (removed, bases []string, err error) {
	c, err := redisconn.Open(rawURL, redisconn.Timeouts{Timeout: sweepDial, Retries: -1})
	if err != nil {
		return nil, nil, fmt.Errorf("sweeping Redis keys: %w", err)
	}
	defer c.Close()
	if err := c.Ping(ctx).Err(); err != nil {
		return nil, nil, fmt.Errorf("sweeping Redis keys: cannot reach Redis at %s (is it running? is REDIS_URL right?): %w", Redact(rawURL), err)
	}
	seen := map[string]bool{}
	var batch []string
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		// One UNLINK per key, pipelined, rather than one for the batch: its
		// count alone would not say which keys were still there (a key of
		// ours may have expired, or another sweep got there first).
		cmds, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, k := range batch {
				p.Unlink(ctx, k)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("unlinking leftover keys on %s: %w", Redact(rawURL), err)
		}
		for i, cmd := range cmds {
			if cmd.(*redis.IntCmd).Val() == 1 {
				removed = append(removed, batch[i])
			}
		}
		batch = batch[:0]
		return nil
	}
	// Every key of ours starts with hbh_; the pattern only narrows the scan,
	// ParseName decides. SCAN, never KEYS or FLUSH: the server is shared.
	iter := c.Scan(ctx, 0, "hbh_*", 1000).Iterator()
	for iter.Next(ctx) {
		key := iter.Val()
		n, err := ParseName(key)
		// Our keys all sit under Prefix(base); a bare base is no key we write.
		if err != nil || len(key) <= len(n.Base) || !old(n) {
			continue
		}
		if !seen[n.Base] {
			seen[n.Base] = true
			bases = append(bases, n.Base)
		}
		batch = append(batch, key)
		if len(batch) == 500 {
			if err := flush(); err != nil {
				return removed, bases, err
			}
		}
	}
	if err := iter.Err(); err != nil {
		return removed, bases, fmt.Errorf("scanning for leftover keys on %s: %w", Redact(rawURL), err)
	}
	if err := flush(); err != nil {
		return removed, bases, err
	}
	log.Debug("unlinked leftover keys", "redis", Redact(rawURL), "keys", len(removed))
	return removed, bases, nil
}

// sweepStreams deletes the old streams of our naming: every stream a run
// or test creates is named under its key prefix (taskqueue.Names), so
// ParseName reads it as it reads a key; a stream of any other name
// (upstream's own job_<id>, advisories) is never touched.
func sweepStreams(ctx context.Context, rawURL string, old func(Name) bool, log *slog.Logger) ([]string, error) {
	removed, err := deleteStreams(ctx, rawURL, func(name string) bool {
		n, err := ParseName(name)
		return err == nil && len(name) > len(n.Base) && old(n)
	})
	if err != nil {
		err = fmt.Errorf("sweeping NATS streams: %w", err)
	}
	slices.Sort(removed)
	log.Debug("deleted leftover streams", "nats", Redact(rawURL), "streams", len(removed))
	return removed, err
}

// sweepQueues deletes those of the named RabbitMQ queues that exist.
//
// AMQP 0-9-1 has no way to list queues. The management plugin's HTTP API
// can, but it is an optional plugin (not enabled on this project's machines:
// nothing listens on 15672) with its own port and credentials that
// BROKER_URL does not give; rabbitmqctl can too, but only on the broker's
// host with its Erlang cookie. So the candidates are the queues of the old
// names found in Postgres and Redis, and a queue whose database and keys are
// already gone is left to RabbitMQ: the broker declares queues of our naming
// with x-expires (isoname.QueueExpiry), so they disappear on their own once
// unused.
func sweepQueues(ctx context.Context, rawURL string, names []string, log *slog.Logger) ([]string, error) {
	conn, err := amqp.DialConfig(rawURL, amqp.Config{Dial: amqp.DefaultDial(sweepDial)})
	if err != nil {
		return nil, fmt.Errorf("sweeping RabbitMQ queues: cannot reach RabbitMQ at %s (is it running? is BROKER_URL right?); the queues of swept runs expire by themselves %s after their last use: %w", Redact(rawURL), isoname.QueueExpiry, err)
	}
	defer conn.Close()
	// The AMQP client's calls take no context: closing the connection is
	// what interrupts them when ctx ends.
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()
	var deleted []string
	var errs []error
	for _, name := range names {
		gone, err := deleteQueue(conn, name)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("deleting leftover RabbitMQ queue %s at %s: %w", name, Redact(rawURL), err))
			if conn.IsClosed() {
				return deleted, errors.Join(errs...)
			}
		case gone:
			log.Debug("deleted leftover queue", "queue", name)
			deleted = append(deleted, name)
		}
	}
	return deleted, errors.Join(errs...)
}

// deleteQueue deletes queue if it exists and says whether it did. It checks
// first because RabbitMQ acknowledges deleting a queue that does not exist.
func deleteQueue(conn *amqp.Connection, queue string) (bool, error) {
	ch, err := conn.Channel()
	if err != nil {
		return false, fmt.Errorf("opening a channel: %w", err)
	}
	// A failed passive declare has already closed the channel.
	defer func() { _ = ch.Close() }()
	if _, err := ch.QueueDeclarePassive(queue, true, false, false, false, nil); err != nil {
		var aerr *amqp.Error
		if errors.As(err, &aerr) && aerr.Code == amqp.NotFound {
			return false, nil
		}
		return false, fmt.Errorf("checking that it exists: %w", err)
	}
	if _, err := ch.QueueDelete(queue, false, false, false); err != nil {
		return false, err
	}
	return true, nil
}
