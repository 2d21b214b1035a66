package observe

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
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

// RowChange is one committed UPDATE of one async service row.
type RowChange struct {
	XID        uint32
	CommitTime time.Time // Postgres's commit timestamp
	ServiceID  int64
	LastSeen   *time.Time // new value, an instant (a naive one read in the observer's zone)
	Live       *bool      // new last_seen_live
	// LastSeenChanged and LiveChanged say whether the value differs from
	// the row's previous one (from the baseline read when the observer
	// started, or the row's previous change). For a row with no known
	// previous value both are true.
	LastSeenChanged bool
	LiveChanged     bool
}

// Heartbeat reports whether the change wrote last_seen (a heartbeat), as
// opposed to a flip of last_seen_live alone (the offline checker).
func (c RowChange) Heartbeat() bool { return c.LastSeenChanged }

const serviceTable = "ml_processingservice"

const (
	statusEvery  = 2 * time.Second        // standby status update period
	receiveSlice = 100 * time.Millisecond // longest a receive blocks the stream loop
)

// lsn is a WAL position.
type lsn uint64

func parseLSN(s string) (lsn, error) {
	hi, lo, ok := strings.Cut(s, "/")
	h, err1 := strconv.ParseUint(hi, 16, 32)
	l, err2 := strconv.ParseUint(lo, 16, 32)
	if !ok || err1 != nil || err2 != nil {
		return 0, fmt.Errorf("not a WAL position: %q", s)
	}
	return lsn(h<<32 | l), nil
}

func (p lsn) String() string { return fmt.Sprintf("%X/%X", uint32(p>>32), uint32(p)) }

type rowVal struct {
	lastSeen *time.Time
	live     *bool
	// naive: last_seen came as a timestamp without time zone, read as if
	// UTC; its true instant needs the zone it is local to.
	naive bool
}

// txnState is the transaction being decoded: its changes are reported, and
// its row values become the known ones, only at its COMMIT.
type txnState struct {
	xid     uint32
	pending []RowChange
	rows    map[int64]*rowVal // nil value: the row left the async set
}

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

const (
	retryFirst   = 100 * time.Millisecond // the wait before the first reconnect
	retryMax     = 2 * time.Second        // the longest wait between reconnects
	retryTimeout = 30 * time.Second       // one attempt; slot creation waits for running transactions
)

// session is one replication connection streaming from its own new
// temporary slot, with the baseline read from that slot's snapshot.
type session struct {
	conn       *pgconn.PgConn
	slot       string
	start      lsn
	consistent time.Time // when the slot became consistent, on this process's clock
	rows       map[int64]*rowVal
	system     string
	database   string
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

// connect opens a replication connection, creates a new temporary slot on
// it, reads the baseline through conn from the slot's snapshot and starts
// streaming. On error nothing is left open.
func (l *Logical) connect(ctx context.Context, conn *pgx.Conn) (_ *session, err error) {
	user := l.replCfg.User
	s := &session{}
	s.conn, err = pgconn.ConnectConfig(ctx, l.replCfg.Copy())
	if err != nil {
		return nil, replicationError("opening a replication connection (replication=database)", user, err)
	}
	defer func() {
		if err != nil {
			// Ending the connection drops the temporary slot with it.
			closeConn(s.conn)
		}
	}()

	sys, err := replCommand(ctx, s.conn, "IDENTIFY_SYSTEM")
	if err != nil {
		return nil, replicationError("IDENTIFY_SYSTEM", user, err)
	}
	if len(sys) != 1 || len(sys[0]) < 4 || sys[0][3] == "" {
		return nil, fmt.Errorf("logical observer: IDENTIFY_SYSTEM named no database (%q): the connection is not a logical replication connection", sys)
	}
	s.system, s.database = sys[0][0], sys[0][3]

	// A fresh name each time: the previous slot may linger a moment after
	// its connection broke.
	l.slots++
	s.slot = l.slotBase
	if l.slots > 1 {
		s.slot += "_" + strconv.Itoa(l.slots)
	}
	slot, err := replCommand(ctx, s.conn, "CREATE_REPLICATION_SLOT "+s.slot+" TEMPORARY LOGICAL test_decoding EXPORT_SNAPSHOT")
	if err != nil {
		return nil, replicationError("creating a temporary logical slot with test_decoding", user, err)
	}
	s.consistent = time.Now()
	if len(slot) != 1 || len(slot[0]) < 3 {
		return nil, fmt.Errorf("logical observer: CREATE_REPLICATION_SLOT answered %q", slot)
	}
	if s.start, err = parseLSN(slot[0][1]); err != nil {
		return nil, fmt.Errorf("logical observer: CREATE_REPLICATION_SLOT consistent point: %w", err)
	}

	// The exported snapshot is the database exactly as of the slot's
	// consistent point: the baseline and the stream fit without gap or
	// overlap. It lives until the replication connection's next command.
	if s.rows, err = l.baseline(ctx, conn, slot[0][2]); err != nil {
		return nil, err
	}

	opts := `("include-xids" '1', "include-timestamp" '1', "skip-empty-xacts" '1')`
	if err := startReplication(ctx, s.conn, "START_REPLICATION SLOT "+s.slot+" LOGICAL "+s.start.String()+" "+opts); err != nil {
		return nil, replicationError("START_REPLICATION", user, err)
	}
	return s, nil
}

// use makes s the stream the loop reads. A transaction cut off by a break
// is dropped whole: its changes were never reported, and its commit, if
// it happened, lies in the gap.
func (l *Logical) use(s *session) {
	l.conn, l.rows, l.txn = s.conn, s.rows, nil
	l.confirmed = s.start
	l.lastRecv = s.consistent
	l.mu.Lock()
	l.slot = s.slot
	l.mu.Unlock()
	l.advance(s.start)
}

// precheck reads the server's settings and the role's attributes, to say
// up front, all at once, what stands in the way of logical decoding.
func precheck(ctx context.Context, conn *pgx.Conn) error {
	var (
		walLevel              string
		maxSlots, maxSenders  int
		role                  string
		replication, superusr bool
		slots, senders        int
	)
	err := conn.QueryRow(ctx, `SELECT current_setting('wal_level'),
			current_setting('max_replication_slots')::int, current_setting('max_wal_senders')::int,
			r.rolname, r.rolreplication, r.rolsuper,
			(SELECT count(*) FROM pg_replication_slots)::int,
			(SELECT count(*) FROM pg_stat_replication)::int
		FROM pg_roles r WHERE r.rolname = current_user`).
		Scan(&walLevel, &maxSlots, &maxSenders, &role, &replication, &superusr, &slots, &senders)
	if err != nil {
		return fmt.Errorf("logical observer: reading the server's settings: %w", err)
	}
	var why []string
	if walLevel != "logical" {
		why = append(why, fmt.Sprintf("wal_level is %q, and logical decoding needs wal_level = logical: set it (ALTER SYSTEM SET wal_level = logical, or in postgresql.conf) and restart the server", walLevel))
	}
	if !replication && !superusr {
		why = append(why, fmt.Sprintf("role %q lacks the REPLICATION attribute: as a superuser, ALTER ROLE %s REPLICATION", role, sqlIdent(role)))
	}
	switch {
	case maxSlots == 0:
		why = append(why, "max_replication_slots is 0: set it to at least 1 (e.g. 10) and restart the server")
	case slots >= maxSlots:
		why = append(why, fmt.Sprintf("all %d replication slots are in use (max_replication_slots = %d): drop an unused one (SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE NOT active) or raise max_replication_slots and restart the server", slots, maxSlots))
	}
	switch {
	case maxSenders == 0:
		why = append(why, "max_wal_senders is 0: set it to at least 1 (e.g. 10) and restart the server")
	case senders >= maxSenders:
		why = append(why, fmt.Sprintf("all %d WAL senders are in use (max_wal_senders = %d): end a replication connection or raise max_wal_senders and restart the server", senders, maxSenders))
	}
	if len(why) > 0 {
		return fmt.Errorf("%w on the observed server: %s", ErrLogicalUnavailable, strings.Join(why, "; "))
	}
	return nil
}

// replicationError words a failure of the replication connection, wrapping
// ErrLogicalUnavailable where the server's configuration is the cause.
func replicationError(doing, user string, err error) error {
	var pg *pgconn.PgError
	if !errors.As(err, &pg) {
		return fmt.Errorf("logical observer: %s: %w", doing, err)
	}
	var fix string
	switch {
	case pg.Code == "42501": // must be superuser or replication role
		fix = fmt.Sprintf("role %q lacks the REPLICATION attribute: as a superuser, ALTER ROLE %s REPLICATION", user, sqlIdent(user))
	case pg.Code == "53300": // too many connections / wal senders
		fix = "no WAL sender is free (max_wal_senders) or the server is full (max_connections): end a replication connection or raise max_wal_senders and restart the server"
	case pg.Code == "53400": // all replication slots are in use
		fix = "all replication slots are in use: drop an unused one (SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE NOT active) or raise max_replication_slots and restart the server"
	case pg.Code == "58P01" || strings.Contains(pg.Message, "test_decoding"):
		fix = "the test_decoding output plugin is not installed on the server: install PostgreSQL's contrib modules (Debian's postgresql-NN package has them; elsewhere postgresql-contrib)"
	case pg.Code == "55000" && strings.Contains(pg.Message, "wal_level"):
		fix = "set wal_level = logical (ALTER SYSTEM SET wal_level = logical) and restart the server"
	case pg.Code == "55000" && strings.Contains(pg.Message, "max_replication_slots"):
		fix = "set max_replication_slots to at least 1 and restart the server"
	case pg.Code == "28000" && strings.Contains(pg.Message, "pg_hba"):
		fix = "pg_hba.conf admits no replication connection from here: add a line for this database and role (a database-specific line; logical replication connections do not match the `replication` keyword) and reload"
	default:
		return fmt.Errorf("logical observer: %s: %w", doing, err)
	}
	return fmt.Errorf("%w: %s failed: %s (%w)", ErrLogicalUnavailable, doing, fix, err)
}

// replCommand runs a replication command and returns its rows as text.
func replCommand(ctx context.Context, conn *pgconn.PgConn, sql string) ([][]string, error) {
	results, err := conn.Exec(ctx, sql).ReadAll()
	if err != nil {
		return nil, err
	}
	var rows [][]string
	for _, r := range results {
		if r.Err != nil {
			return nil, r.Err
		}
		for _, row := range r.Rows {
			vals := make([]string, len(row))
			for i, v := range row {
				vals[i] = string(v)
			}
			rows = append(rows, vals)
		}
	}
	return rows, nil
}

// startReplication sends START_REPLICATION and waits for the server to
// switch to streaming (CopyBothResponse).
func startReplication(ctx context.Context, conn *pgconn.PgConn, sql string) error {
	conn.Frontend().SendQuery(&pgproto3.Query{String: sql})
	if err := conn.Frontend().Flush(); err != nil {
		return err
	}
	for {
		msg, err := conn.ReceiveMessage(ctx)
		if err != nil {
			return err
		}
		switch m := msg.(type) {
		case *pgproto3.CopyBothResponse:
			return nil
		case *pgproto3.ErrorResponse:
			return pgconn.ErrorResponseToPgError(m)
		case *pgproto3.NoticeResponse, *pgproto3.ParameterStatus:
		default:
			return fmt.Errorf("unexpected %T in answer to START_REPLICATION", msg)
		}
	}
}

// baseline reads every async row in the slot's exported snapshot.
func (l *Logical) baseline(ctx context.Context, conn *pgx.Conn, snapshot string) (map[int64]*rowVal, error) {
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, fmt.Errorf("logical observer: baseline: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if _, err := tx.Exec(ctx, "SET TRANSACTION SNAPSHOT '"+strings.ReplaceAll(snapshot, "'", "''")+"'"); err != nil {
		return nil, fmt.Errorf("logical observer: baseline: importing the slot's snapshot %q: %w", snapshot, err)
	}
	rows, err := tx.Query(ctx, "SELECT id, last_seen, last_seen_live FROM "+
		pgx.Identifier{l.schema, serviceTable}.Sanitize()+" WHERE endpoint_url IS NULL")
	if err != nil {
		return nil, fmt.Errorf("logical observer: baseline: reading %s: %w", serviceTable, err)
	}
	out := map[int64]*rowVal{}
	for rows.Next() {
		var id int64
		v := &rowVal{}
		if err := rows.Scan(&id, &v.lastSeen, &v.live); err != nil {
			return nil, fmt.Errorf("logical observer: baseline: %w", err)
		}
		if v.lastSeen != nil {
			t := v.lastSeen.UTC()
			v.lastSeen = &t
		}
		out[id] = v
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("logical observer: baseline: %w", err)
	}
	return out, tx.Commit(ctx)
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

// walPosition is the server's current WAL write position: every
// transaction whose commit has returned to its client (synchronous_commit
// on, the default) lies before it.
func (l *Logical) walPosition(ctx context.Context) (lsn, error) {
	conn, err := pgx.Connect(ctx, l.dsn)
	if err != nil {
		return 0, fmt.Errorf("logical observer: stop: connecting to read the WAL position: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var s string
	if err := conn.QueryRow(ctx, "SELECT pg_current_wal_lsn()::text").Scan(&s); err != nil {
		return 0, fmt.Errorf("logical observer: stop: reading pg_current_wal_lsn(): %w", err)
	}
	return parseLSN(s)
}

// waitFor waits until the stream has passed target. It gives up as soon
// as the stream is down: a new slot starts after target, so a reconnect
// would bring none of what is missing.
func (l *Logical) waitFor(ctx context.Context, target lsn) error {
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	l.requestPing()
	for {
		if err := l.lost(); err != nil {
			return err
		}
		l.mu.Lock()
		pos := l.streamed
		l.mu.Unlock()
		if pos >= target {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("logical observer: the stream reached %s but not %s (the WAL position when Stop was called) before %w: changes committed after %s may be missing", pos, target, ctx.Err(), pos)
		case <-l.done:
			return fmt.Errorf("logical observer: closed before the stream reached %s", target)
		case <-l.advanced:
		case <-tick.C:
			l.requestPing()
		}
	}
}

func (l *Logical) requestPing() {
	select {
	case l.ping <- struct{}{}:
	default:
	}
}

func (l *Logical) notify() {
	select {
	case l.advanced <- struct{}{}:
	default:
	}
}

// shutdown ends the stream goroutine (which closes the replication
// connection), ends a gap still open, and makes sure the slots are gone.
func (l *Logical) shutdown() error {
	l.shutOnce.Do(func() {
		l.mu.Lock()
		l.closed = true
		l.stoppedAt = time.Now()
		l.mu.Unlock()
		l.end()
		select {
		case <-l.done:
		case <-time.After(10 * time.Second):
			l.shutErr = fmt.Errorf("logical observer: the stream did not end within 10 s")
		}
		l.mu.Lock()
		if l.open != nil {
			g := *l.open
			g.To = l.stoppedAt
			l.gaps = append(l.gaps, g)
			l.open = nil
		}
		l.mu.Unlock()
		if l.shutErr == nil {
			l.shutErr = l.ensureSlotsGone()
		}
	})
	return l.shutErr
}

// ensureSlotsGone waits for the server to drop this observer's temporary
// slots (it does when each replication connection's backend exits) and
// drops those that linger unused. A slot's name starts with slotBase.
func (l *Logical) ensureSlotsGone() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	dropAll := fmt.Sprintf("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name LIKE '%s%%'", l.slotBase)
	conn, err := pgx.Connect(ctx, l.dsn)
	if err != nil {
		return fmt.Errorf("logical observer: checking that its slots %s… are gone: %w (if any remains, drop it with %s)", l.slotBase, err, dropAll)
	}
	defer conn.Close(context.Background())
	for {
		rows, err := conn.Query(ctx, `SELECT slot_name, active FROM pg_replication_slots
			WHERE left(slot_name::text, $2) = $1`, l.slotBase, len(l.slotBase))
		if err != nil {
			return fmt.Errorf("logical observer: checking that its slots %s… are gone: %w", l.slotBase, err)
		}
		type slotRow struct {
			Name   string
			Active bool
		}
		found, err := pgx.CollectRows(rows, pgx.RowToStructByPos[slotRow])
		if err != nil {
			return fmt.Errorf("logical observer: checking that its slots %s… are gone: %w", l.slotBase, err)
		}
		var busy []string
		for _, s := range found {
			if s.Active {
				busy = append(busy, s.Name)
				continue
			}
			if _, err := conn.Exec(ctx, "SELECT pg_drop_replication_slot($1)", s.Name); err != nil {
				var pg *pgconn.PgError
				if !errors.As(err, &pg) || pg.Code != "42704" { // undefined_object: dropped meanwhile
					return fmt.Errorf("logical observer: dropping slot %s: %w", s.Name, err)
				}
			}
		}
		if len(busy) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("logical observer: slots %s are still in use 10 s after their connections closed; drop them with %s", strings.Join(busy, ", "), dropAll)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func closeConn(conn *pgconn.PgConn) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = conn.Close(ctx)
}

// run is the stream loop: it alone uses the replication connection.
func (l *Logical) run() {
	defer close(l.done)
	for {
		err := l.stream()
		closeConn(l.conn)
		if err == nil || !l.broken(err) || !l.reconnect() {
			return
		}
	}
}

// stream reads the current stream until it breaks, returning why, or
// until shutdown, returning nil.
func (l *Logical) stream() error {
	lastStatus := time.Now()
	for {
		if l.life.Err() != nil {
			return nil
		}
		wantReply := false
		select {
		case <-l.ping:
			wantReply = true
		default:
		}
		if wantReply || time.Since(lastStatus) >= statusEvery {
			if err := l.sendStatus(wantReply); err != nil {
				return l.quitOr(fmt.Errorf("sending a standby status update: %w", err))
			}
			lastStatus = time.Now()
		}
		ctx, cancel := context.WithTimeout(context.Background(), receiveSlice)
		msg, err := l.conn.ReceiveMessage(ctx)
		cancel()
		if err != nil {
			if pgconn.Timeout(err) {
				continue
			}
			return l.quitOr(fmt.Errorf("receiving from the replication connection: %w", err))
		}
		l.lastRecv = time.Now()
		switch m := msg.(type) {
		case *pgproto3.CopyData:
			if err := l.handle(m.Data); err != nil {
				return l.quitOr(err)
			}
		case *pgproto3.ErrorResponse:
			return l.quitOr(fmt.Errorf("the server ended the stream: %w", pgconn.ErrorResponseToPgError(m)))
		case *pgproto3.CopyDone:
			return l.quitOr(errors.New("the server ended the stream (CopyDone)"))
		}
	}
}

// quitOr is err, unless shutdown has begun: then the stream ended because
// it was asked to.
func (l *Logical) quitOr(err error) error {
	if l.life.Err() != nil {
		return nil
	}
	return err
}

// broken opens the gap err starts, unless shutdown has begun (false).
func (l *Logical) broken(err error) bool {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return false
	}
	l.open = &Gap{From: l.lastRecv, Reason: err.Error()}
	l.broke, l.retryErr = err, nil
	l.mu.Unlock()
	l.notify()
	l.log.Warn("logical observer: lost the stream; reconnecting, and changes committed until it is back will be missing",
		"slot", l.slot, "last_message", l.lastRecv, "err", err)
	return true
}

// reconnect tries, with backoff, until a new stream runs (true) or shutdown
// begins (false).
func (l *Logical) reconnect() bool {
	wait := retryFirst
	for attempt := 1; ; attempt++ {
		t := time.NewTimer(wait)
		select {
		case <-l.life.Done():
			t.Stop()
			return false
		case <-t.C:
		}
		s, err := l.reopen()
		if l.life.Err() != nil {
			if s != nil {
				closeConn(s.conn)
			}
			return false
		}
		if err == nil {
			return l.resume(s)
		}
		wait = min(2*wait, retryMax)
		l.mu.Lock()
		l.retryErr = err
		l.mu.Unlock()
		l.log.Debug("logical observer: reconnect failed", "attempt", attempt, "next_in", wait, "err", err)
	}
}

// reopen is one reconnect attempt, bounded by the observer's life.
func (l *Logical) reopen() (*session, error) {
	ctx, cancel := context.WithTimeout(l.life, retryTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, l.dsn)
	if err != nil {
		return nil, fmt.Errorf("logical observer: reconnecting to the observed database: %w", err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = conn.Close(ctx)
	}()
	return l.connect(ctx, conn)
}

// resume streams from s and closes the gap at its consistent point, unless
// shutdown began meanwhile (false, s closed).
func (l *Logical) resume(s *session) bool {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		closeConn(s.conn)
		return false
	}
	g := *l.open
	g.To = s.consistent
	l.gaps = append(l.gaps, g)
	l.open, l.broke, l.retryErr = nil, nil, nil
	l.mu.Unlock()
	l.use(s)
	l.log.Info("logical observer: streaming again", "slot", s.slot, "from", s.start.String(),
		"gap", g.To.Sub(g.From).Round(time.Millisecond), "async_rows", len(s.rows))
	return true
}

// sendStatus sends a standby status update saying everything up to
// l.confirmed has been processed, so the server can let that WAL go.
func (l *Logical) sendStatus(wantReply bool) error {
	const y2k = 946684800 // Postgres's epoch, in Unix seconds
	data := make([]byte, 0, 34)
	data = append(data, 'r')
	for range 3 { // written, flushed, applied
		data = binary.BigEndian.AppendUint64(data, uint64(l.confirmed))
	}
	now := time.Now()
	data = binary.BigEndian.AppendUint64(data, uint64(now.UnixMicro()-y2k*1_000_000))
	if wantReply {
		data = append(data, 1)
	} else {
		data = append(data, 0)
	}
	buf, err := (&pgproto3.CopyData{Data: data}).Encode(nil)
	if err != nil {
		return err
	}
	return l.conn.Frontend().SendUnbufferedEncodedCopyData(buf)
}

// handle processes one CopyData message of the stream.
func (l *Logical) handle(data []byte) error {
	if len(data) == 0 {
		return nil
	}
	switch data[0] {
	case 'k': // primary keepalive: WAL end, server time, reply requested
		if len(data) < 18 {
			return fmt.Errorf("short keepalive message (%d bytes)", len(data))
		}
		end := lsn(binary.BigEndian.Uint64(data[1:]))
		if l.txn == nil && end > l.confirmed {
			l.confirmed = end
		}
		l.advance(end)
		if data[17] != 0 {
			return l.sendStatus(false)
		}
	case 'w': // XLogData: WAL start, WAL end, server time, payload
		if len(data) < 25 {
			return fmt.Errorf("short XLogData message (%d bytes)", len(data))
		}
		at := lsn(binary.BigEndian.Uint64(data[1:]))
		l.decoded(at, string(data[25:]))
	}
	return nil
}

func (l *Logical) advance(p lsn) {
	l.mu.Lock()
	moved := p > l.streamed
	if moved {
		l.streamed = p
	}
	l.mu.Unlock()
	if moved {
		l.notify()
	}
}

func (l *Logical) problem(err error) {
	l.log.Warn("logical observer", "slot", l.slot, "err", err)
	l.mu.Lock()
	if len(l.problems) < 20 {
		l.problems = append(l.problems, err)
	}
	l.mu.Unlock()
}

// decoded handles one test_decoding message; at is its WAL position (for a
// COMMIT, the end of the commit record).
func (l *Logical) decoded(at lsn, text string) {
	m, err := ParseTestDecoding(text)
	if err != nil {
		head, _, _ := strings.Cut(text, ": ")
		if strings.HasPrefix(text, "table ") && strings.Contains(head, serviceTable) {
			l.problem(fmt.Errorf("logical observer: a change of %s could not be read, so it is not reported: %w", serviceTable, err))
		} else {
			l.log.Debug("logical observer: unreadable message of another table", "err", err)
		}
		return
	}
	switch m.Kind {
	case TDBegin:
		l.txn = &txnState{xid: m.XID, rows: map[int64]*rowVal{}}
	case TDChange:
		if m.Table != serviceTable || m.Schema != l.schema {
			return
		}
		if l.txn == nil { // cannot happen: changes come between BEGIN and COMMIT
			l.txn = &txnState{rows: map[int64]*rowVal{}}
		}
		if err := l.change(&m); err != nil {
			l.problem(fmt.Errorf("logical observer: transaction %d: %w", l.txn.xid, err))
		}
	case TDCommit:
		if l.txn != nil {
			for id, v := range l.txn.rows {
				if v == nil {
					delete(l.rows, id)
				} else {
					l.rows[id] = v
				}
			}
			if len(l.txn.pending) > 0 {
				xid := m.XID
				if !m.HasXID {
					xid = l.txn.xid
				}
				for i := range l.txn.pending {
					l.txn.pending[i].XID = xid
					l.txn.pending[i].CommitTime = m.CommitTime
				}
				l.mu.Lock()
				l.changes = append(l.changes, l.txn.pending...)
				l.mu.Unlock()
			}
		}
		l.txn = nil
		if at > l.confirmed {
			l.confirmed = at
		}
		l.advance(at)
	}
}

// known is a row's latest value within the current transaction, else its
// last committed one.
func (l *Logical) known(id int64) (*rowVal, bool) {
	if v, ok := l.txn.rows[id]; ok {
		return v, v != nil
	}
	v, ok := l.rows[id]
	return v, ok
}

// change applies one INSERT, UPDATE or DELETE of the service table.
func (l *Logical) change(m *TDMessage) error {
	cols := m.New
	if m.Op == "DELETE" {
		cols = m.Old
	}
	var idCol TDColumn
	found := false
	for _, c := range cols {
		if c.Name == "id" {
			idCol, found = c, true
		}
	}
	if !found || idCol.Null {
		if m.Op == "DELETE" {
			return nil // no replica identity logged: nothing to forget by id
		}
		return fmt.Errorf("%s of %s without an id", m.Op, serviceTable)
	}
	id, err := strconv.ParseInt(idCol.Value, 10, 64)
	if err != nil {
		return fmt.Errorf("%s of %s: id %q: %w", m.Op, serviceTable, idCol.Value, err)
	}
	if m.Op == "DELETE" {
		l.txn.rows[id] = nil
		return nil
	}
	prev, wasKnown := l.known(id)
	async := wasKnown
	if ep, ok := m.Column("endpoint_url"); ok && !ep.UnchangedToast {
		async = ep.Null
	}
	if !async {
		l.txn.rows[id] = nil
		return nil
	}
	if !wasKnown && m.Op == "UPDATE" {
		// REPLICA IDENTITY FULL logs the old row: the best previous value.
		if old, err := rowFrom(m.Old, nil); err == nil && len(m.Old) > 0 {
			if _, has := m.OldColumn("last_seen"); has {
				prev, wasKnown = old, true
			}
		}
	}
	v, err := rowFrom(m.New, prev)
	if err != nil {
		return fmt.Errorf("%s of %s row %d: %w", m.Op, serviceTable, id, err)
	}
	l.txn.rows[id] = v
	if m.Op != "UPDATE" {
		return nil
	}
	rc := RowChange{ServiceID: id, LastSeenChanged: true, LiveChanged: true}
	if v.lastSeen != nil { // copies: the caller may keep or alter them
		t := *v.lastSeen
		if v.naive {
			t = inZone(t, l.zone)
		}
		rc.LastSeen = &t
	}
	if v.live != nil {
		b := *v.live
		rc.Live = &b
	}
	if wasKnown {
		rc.LastSeenChanged = !sameTime(prev.lastSeen, v.lastSeen)
		rc.LiveChanged = !sameBool(prev.live, v.live)
	}
	l.txn.pending = append(l.txn.pending, rc)
	return nil
}

// rowFrom reads last_seen and last_seen_live from a decoded tuple; a column
// absent from it keeps its value from prev.
func rowFrom(cols []TDColumn, prev *rowVal) (*rowVal, error) {
	v := &rowVal{}
	if prev != nil {
		*v = *prev
	}
	for _, c := range cols {
		switch c.Name {
		case "last_seen":
			if c.UnchangedToast {
				continue
			}
			if c.Null {
				v.lastSeen = nil
				continue
			}
			var t time.Time
			var err error
			switch c.Type {
			case "timestamp with time zone":
				t, err = ParseTimestamptz(c.Value)
			case "timestamp without time zone":
				t, err = parseTimestamp(c.Value)
				v.naive = true
			default:
				err = fmt.Errorf("last_seen has type %q, not a timestamp", c.Type)
			}
			if err != nil {
				return nil, err
			}
			t = t.UTC()
			v.lastSeen = &t
		case "last_seen_live":
			if c.Null {
				v.live = nil
				continue
			}
			b, err := strconv.ParseBool(c.Value)
			if err != nil {
				return nil, fmt.Errorf("last_seen_live: %w", err)
			}
			v.live = &b
		}
	}
	return v, nil
}

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Equal(*b)
}

func sameBool(a, b *bool) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}

// sqlIdent quotes an identifier for SQL shown to a reader, only where
// needed (as PostgreSQL's quote_identifier does, keywords aside).
func sqlIdent(s string) string {
	plain := s != "" && (s[0] >= 'a' && s[0] <= 'z' || s[0] == '_')
	for i := 0; i < len(s) && plain; i++ {
		c := s[i]
		plain = c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_'
	}
	if plain {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}
