package observe

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hbharness/hbharness/reference/contract"
)

// The decoding side of the logical observer: test_decoding's messages,
// received by logical_stream.go, become committed row changes of the
// async service rows, judged against the rows' previous values.

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

const serviceTable = contract.ServiceTable

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
