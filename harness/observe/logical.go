package observe

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// The logical observer sees every committed write to the service table,
// exactly, through PostgreSQL's logical decoding, where the Sampler sees
// only what a periodic read happens to catch. It tells a heartbeat write
// (last_seen changed) from an offline-checker flip (only last_seen_live
// changed) and stamps each with Postgres's own commit time.
//
// Why the test_decoding output plugin: it ships with PostgreSQL (contrib,
// part of Debian's server package) and needs nothing created in the observed
// database. pgoutput, the built-in alternative, only streams the tables of a
// PUBLICATION, which is an object installed in the database (and CREATE
// PUBLICATION needs ownership of the table, or superuser). test_decoding
// needs only a role with the REPLICATION attribute and wal_level = logical;
// the one thing the observer creates is a TEMPORARY replication slot (a new
// one after each reconnect), which the server drops by itself when the
// replication connection ends, so even a killed harness leaves nothing behind. Its text output is parsed by
// ParseTestDecoding.

// ErrLogicalUnavailable is wrapped by StartLogical's errors that mean the
// observed server cannot do logical decoding for this role (wal_level,
// REPLICATION attribute, slot or wal-sender limits, missing plugin): the
// caller should fall back to sampling. The error's text says which and how
// to fix it.
var ErrLogicalUnavailable = errors.New("logical decoding unavailable")

// Logical streams the committed changes of ml_processingservice's async
// rows from a temporary logical replication slot.
//
// When the stream breaks it reconnects, with a new connection and a new
// slot: the old slot was temporary and died with its connection, so what
// was committed meanwhile cannot be replayed. That stretch is a Gap, and
// its changes are missing, never made up; a fresh baseline read from the
// new slot's snapshot lets the changes after it be judged against the
// rows' real values.
type Logical struct {
	// Offset is the database's clock minus this process's (ClockOffset),
	// removed from the commit times Seen reports; set it before Seen.
	Offset time.Duration

	dsn     string
	log     *slog.Logger
	zone    *time.Location // a naive last_seen is local to it (nil: UTC)
	schema  string         // of ml_processingservice
	replCfg *pgconn.Config // the replication connection's, copied per connect
	// slotBase names the first slot; the later ones add "_2", "_3"… so
	// that one prefix finds every slot this observer created.
	slotBase string

	// Owned by the stream goroutine once started.
	conn      *pgconn.PgConn
	rows      map[int64]*rowVal // last committed values of the async rows
	txn       *txnState
	confirmed lsn       // reported to the server as flushed
	lastRecv  time.Time // the last message received (or the slot's consistent point)
	slots     int       // slot names handed out so far

	// life ends when shutdown begins; it bounds reconnecting.
	life context.Context
	end  context.CancelFunc

	mu       sync.Mutex
	slot     string // the current slot
	changes  []RowChange
	streamed lsn // every transaction committed before it has been received
	problems []error
	// open is the gap since the stream broke, until it is back; broke is
	// the error that broke it, retryErr the last reconnect's failure.
	open      *Gap
	broke     error
	retryErr  error
	gaps      []Gap
	closed    bool      // shutdown has begun
	stoppedAt time.Time // when it began: the end of a gap still open

	advanced chan struct{} // a token when streamed moves or the stream breaks
	ping     chan struct{} // asks the loop for a status update that wants a reply
	done     chan struct{}

	shutOnce sync.Once
	shutErr  error
	stopOnce sync.Once
	stopErr  error
}

// StartLogical starts observing the database at dsn (a normal connection
// URL or DSN; the replication connection is derived from it). It reads the
// async rows' current values as the baseline, consistent with the start of
// the stream, and streams from then on until Stop or Close, which the caller
// must call. An error wrapping ErrLogicalUnavailable says the server cannot
// do logical decoding for this role, why, and how to fix it.
func StartLogical(ctx context.Context, dsn string, log *slog.Logger) (*Logical, error) {
	return StartLogicalInZone(ctx, dsn, nil, log)
}

// StartLogicalInZone is StartLogical for a database whose last_seen may be
// naive (Antenna's): the values it reports are read as local to zone
// (nil: UTC).
func StartLogicalInZone(ctx context.Context, dsn string, zone *time.Location, log *slog.Logger) (*Logical, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	l := &Logical{
		dsn: dsn, log: log, zone: zone,
		advanced: make(chan struct{}, 1), ping: make(chan struct{}, 1),
		done: make(chan struct{}),
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("logical observer: connecting to the observed database: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if err := precheck(ctx, conn); err != nil {
		return nil, err
	}
	err = conn.QueryRow(ctx, `SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.oid = to_regclass($1)`, serviceTable).Scan(&l.schema)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("logical observer: table %s not found on the search_path of database %q: is this the service's database?", serviceTable, conn.Config().Database)
	} else if err != nil {
		return nil, fmt.Errorf("logical observer: looking up table %s: %w", serviceTable, err)
	}

	l.replCfg, err = pgconn.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("logical observer: parsing the database URL: %w", err)
	}
	l.replCfg.RuntimeParams["replication"] = "database"
	l.replCfg.RuntimeParams["application_name"] = "hbharness-logical-observer"
	l.replCfg.RuntimeParams["TimeZone"] = "UTC" // commit times print as +00
	var rnd [8]byte
	_, _ = rand.Read(rnd[:])
	l.slotBase = "hbh_obs_" + hex.EncodeToString(rnd[:])

	s, err := l.connect(ctx, conn)
	if err != nil {
		return nil, err
	}
	l.use(s)
	log.Info("logical observer: streaming", "slot", s.slot, "from", s.start.String(), "system", s.system,
		"database", s.database, "table", l.schema+"."+serviceTable, "async_rows", len(s.rows))
	l.life, l.end = context.WithCancel(context.Background())
	go l.run()
	return l, nil
}

// Slot is the name of the current temporary replication slot; a reconnect
// replaces it.
func (l *Logical) Slot() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.slot
}

// Changes returns the changes received so far, in commit order.
func (l *Logical) Changes() []RowChange {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]RowChange(nil), l.changes...)
}

// Gaps returns the stretches the stream was down, from the last message
// before a break to the new slot's consistent point; changes committed in
// them are missing. One still open ends now, or when Stop or Close began.
func (l *Logical) Gaps() []Gap {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := append([]Gap(nil), l.gaps...)
	if l.open != nil {
		g := *l.open
		g.To = time.Now()
		if l.closed {
			g.To = l.stoppedAt
		}
		out = append(out, g)
	}
	return out
}

// Stop waits until the stream has delivered every transaction committed
// before the call (the server's WAL write position then, bounded by ctx),
// ends the stream, dropping the slots, and returns every change in commit
// order. Breaks the observer recovered from are not errors (Gaps has
// them); a stream down when Stop is called, or while it waits, is: no
// reconnect could deliver what was committed in the gap. The changes come
// back even with an error, which says what may be missing. Calling Stop
// again returns the same.
func (l *Logical) Stop(ctx context.Context) ([]RowChange, error) {
	l.stopOnce.Do(func() {
		l.mu.Lock()
		closed := l.closed
		l.mu.Unlock()
		if closed {
			l.stopErr = errors.New("logical observer: Stop called after Close: the changes are only those received before Close")
			return
		}
		err := l.lost()
		if err == nil {
			var target lsn
			if target, err = l.walPosition(ctx); err == nil {
				err = l.waitFor(ctx, target)
			}
		}
		errs := []error{err, l.shutdown()}
		l.mu.Lock()
		errs = append(errs, l.problems...)
		l.mu.Unlock()
		l.stopErr = errors.Join(errs...)
	})
	return l.Changes(), l.stopErr
}

// lost says, while the stream is down, since when and why.
func (l *Logical) lost() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open == nil {
		return nil
	}
	at := l.open.From.Format("2006-01-02T15:04:05.000Z07:00")
	if l.retryErr != nil {
		return fmt.Errorf("logical observer: lost its stream at %s and could not reconnect: %w (the last attempt: %w)", at, l.broke, l.retryErr)
	}
	return fmt.Errorf("logical observer: lost its stream at %s and could not reconnect: %w", at, l.broke)
}

// Close ends the stream without waiting for it to catch up and makes sure
// the slots are gone. It is idempotent and safe on interrupt paths (it needs
// no live context).
func (l *Logical) Close() {
	if err := l.shutdown(); err != nil {
		l.log.Warn("logical observer: close", "err", err)
	}
}
