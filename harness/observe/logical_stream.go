package observe

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
)

// The replication stream of the logical observer: the replication
// connection and its temporary slot, the loop that receives WAL messages
// and reports progress to the server, and reconnecting after a break.
// What the messages say is logical_decode.go's.

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
