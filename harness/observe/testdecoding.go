package observe

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// This file parses the text that PostgreSQL's test_decoding output plugin
// writes for each decoded event, as started with include-xids=1,
// include-timestamp=1 and skip-empty-xacts=1 (see contrib/test_decoding):
//
//	BEGIN 747
//	table public.ml_processingservice: UPDATE: id[bigint]:3 name[text]:'it''s' endpoint_url[text]:null last_seen[timestamp with time zone]:'2026-11-27 05:40:00.123456+00' last_seen_live[boolean]:true
//	COMMIT 747 (at 2026-11-27 05:40:00.123456+00)
//
// One message is one event; a quoted value may contain newlines, so messages
// are parsed whole, never split into lines. Names are printed by
// quote_identifier (double quotes, "" for a quote, when not plain lowercase),
// types by format_type_be (which may hold spaces, brackets and quoted names),
// and values by the type's output function: quoted with '' for a quote,
// except numbers, booleans (true/false), null, bit strings (B'0101') and
// unchanged-toast-datum (a TOASTed value the UPDATE did not touch).

// TDKind is the kind of one test_decoding message.
type TDKind uint8

const (
	// TDOther is any message not otherwise told apart: TRUNCATE, logical
	// messages (pg_logical_emit_message), streaming and two-phase events.
	TDOther TDKind = iota
	TDBegin
	TDCommit
	// TDChange is an INSERT, UPDATE or DELETE of one row.
	TDChange
)

func (k TDKind) String() string {
	switch k {
	case TDBegin:
		return "BEGIN"
	case TDCommit:
		return "COMMIT"
	case TDChange:
		return "change"
	}
	return "other"
}

// TDColumn is one column of a decoded tuple.
type TDColumn struct {
	Name string // unquoted
	Type string // as format_type_be printed it, e.g. "timestamp with time zone"
	// Value is the value's text: unquoted, '' undoubled; for a bit string
	// (B'0101') the bits. Empty when Null or UnchangedToast.
	Value          string
	Quoted         bool // the value was a quoted literal
	Null           bool
	UnchangedToast bool // unchanged-toast-datum: value not in the WAL record
}

// TDMessage is one parsed test_decoding message.
type TDMessage struct {
	Kind       TDKind
	XID        uint32 // BEGIN and COMMIT, when HasXID
	HasXID     bool
	CommitTime time.Time // COMMIT with include-timestamp; zero otherwise

	// For "table …" messages (TDChange, and TRUNCATE as TDOther).
	Schema, Table string
	Op            string     // INSERT, UPDATE, DELETE (TRUNCATE for TDOther)
	Old           []TDColumn // UPDATE's old-key: (replica identity), DELETE's key
	New           []TDColumn // INSERT's and UPDATE's new tuple
	NoTupleData   bool       // "(no-tuple-data)": the row image was not logged
}

// Column finds a column of the new tuple by name.
func (m *TDMessage) Column(name string) (TDColumn, bool) {
	for _, c := range m.New {
		if c.Name == name {
			return c, true
		}
	}
	return TDColumn{}, false
}

// OldColumn finds a column of the old key/tuple by name.
func (m *TDMessage) OldColumn(name string) (TDColumn, bool) {
	for _, c := range m.Old {
		if c.Name == name {
			return c, true
		}
	}
	return TDColumn{}, false
}

// ParseTestDecoding parses one message of the test_decoding plugin. A
// message it does not know (a logical message, TRUNCATE, …) is TDOther with
// no error; an error means a BEGIN, COMMIT or change it could not read.
func ParseTestDecoding(s string) (TDMessage, error) {
	switch {
	case s == "BEGIN" || strings.HasPrefix(s, "BEGIN "):
		m := TDMessage{Kind: TDBegin}
		if rest := strings.TrimPrefix(s, "BEGIN"); rest != "" {
			xid, err := strconv.ParseUint(rest[1:], 10, 32)
			if err != nil {
				return TDMessage{}, fmt.Errorf("test_decoding BEGIN: bad xid %q", rest[1:])
			}
			m.XID, m.HasXID = uint32(xid), true
		}
		return m, nil
	case s == "COMMIT" || strings.HasPrefix(s, "COMMIT "):
		return parseCommit(s)
	case strings.HasPrefix(s, "table "):
		return parseTableMessage(s)
	}
	return TDMessage{Kind: TDOther}, nil
}

func parseCommit(s string) (TDMessage, error) {
	m := TDMessage{Kind: TDCommit}
	rest := strings.TrimPrefix(s, "COMMIT")
	if rest != "" && !strings.HasPrefix(rest, " (") {
		rest = rest[1:]
		num, after, _ := strings.Cut(rest, " ")
		xid, err := strconv.ParseUint(num, 10, 32)
		if err != nil {
			return TDMessage{}, fmt.Errorf("test_decoding COMMIT: bad xid %q", num)
		}
		m.XID, m.HasXID = uint32(xid), true
		if after == "" {
			return m, nil
		}
		rest = " " + after
	}
	if rest == "" {
		return m, nil
	}
	if !strings.HasPrefix(rest, " (at ") || !strings.HasSuffix(rest, ")") {
		return TDMessage{}, fmt.Errorf("test_decoding COMMIT: expected \" (at <timestamp>)\" after the xid, got %q", rest)
	}
	t, err := ParseTimestamptz(rest[len(" (at ") : len(rest)-1])
	if err != nil {
		return TDMessage{}, fmt.Errorf("test_decoding COMMIT: commit time: %w", err)
	}
	m.CommitTime = t
	return m, nil
}

// tdParser walks one "table …" message.
type tdParser struct {
	s   string
	pos int
}

func (p *tdParser) errorf(format string, a ...any) error {
	at := p.s[p.pos:]
	if len(at) > 40 {
		at = at[:40] + "…"
	}
	return fmt.Errorf("test_decoding change at byte %d (%q): %s", p.pos, at, fmt.Sprintf(format, a...))
}

func (p *tdParser) rest() string { return p.s[p.pos:] }

func (p *tdParser) eat(prefix string) bool {
	if strings.HasPrefix(p.rest(), prefix) {
		p.pos += len(prefix)
		return true
	}
	return false
}

// ident reads an identifier as quote_identifier prints it: "…" with "" for
// a quote, or a bare word up to one of the stop bytes.
func (p *tdParser) ident(stops string) (string, error) {
	if p.eat(`"`) {
		var b strings.Builder
		for {
			i := strings.IndexByte(p.rest(), '"')
			if i < 0 {
				return "", p.errorf("unterminated quoted identifier")
			}
			b.WriteString(p.rest()[:i])
			p.pos += i + 1
			if !p.eat(`"`) {
				if b.Len() == 0 {
					return "", p.errorf("empty quoted identifier")
				}
				return b.String(), nil
			}
			b.WriteByte('"')
		}
	}
	i := strings.IndexAny(p.rest(), stops)
	if i < 0 {
		i = len(p.rest())
	}
	if i == 0 {
		return "", p.errorf("expected an identifier")
	}
	id := p.rest()[:i]
	p.pos += i
	return id, nil
}

func parseTableMessage(s string) (TDMessage, error) {
	p := &tdParser{s: s, pos: len("table ")}
	m := TDMessage{Kind: TDChange}
	name, err := p.ident(".:, ")
	if err != nil {
		return TDMessage{}, err
	}
	if p.eat(".") {
		m.Schema = name
		if name, err = p.ident(".:, "); err != nil {
			return TDMessage{}, err
		}
	}
	m.Table = name
	if strings.HasPrefix(p.rest(), ", ") { // TRUNCATE of several tables
		m.Kind, m.Op = TDOther, "TRUNCATE"
		return m, nil
	}
	if !p.eat(": ") {
		return TDMessage{}, p.errorf(`expected ": " after the table name`)
	}
	op, _, found := strings.Cut(p.rest(), ":")
	if !found {
		return TDMessage{}, p.errorf("expected an action (INSERT:, UPDATE:, DELETE:)")
	}
	m.Op = op
	p.pos += len(op) + 1
	target := &m.New
	switch op {
	case "INSERT", "UPDATE":
	case "DELETE":
		target = &m.Old
	default: // TRUNCATE, or something newer than this parser
		m.Kind = TDOther
		return m, nil
	}
	for p.pos < len(p.s) {
		if !p.eat(" ") {
			return TDMessage{}, p.errorf("expected a space between columns")
		}
		switch {
		case p.eat("(no-tuple-data)"):
			m.NoTupleData = true
			continue
		case op == "UPDATE" && p.eat("old-key:"):
			target = &m.Old
			continue
		case op == "UPDATE" && p.eat("new-tuple:"):
			target = &m.New
			continue
		}
		col, err := p.column()
		if err != nil {
			return TDMessage{}, err
		}
		*target = append(*target, col)
	}
	return m, nil
}

// column reads ` name[type]:value` (the leading space already eaten).
func (p *tdParser) column() (TDColumn, error) {
	var c TDColumn
	name, err := p.ident("[ ")
	if err != nil {
		return c, err
	}
	c.Name = name
	if !p.eat("[") {
		return c, p.errorf("expected [type] after column %q", name)
	}
	// The type ends at the first "]:" outside double quotes; "integer[]"
	// ends in "]]:" and a quoted type name may hold anything.
	inQuote := false
	end := -1
	for i := p.pos; i < len(p.s); i++ {
		switch {
		case p.s[i] == '"':
			inQuote = !inQuote
		case !inQuote && p.s[i] == ']' && i+1 < len(p.s) && p.s[i+1] == ':':
			end = i
		}
		if end >= 0 {
			break
		}
	}
	if end < 0 {
		return c, p.errorf("unterminated type of column %q", name)
	}
	c.Type = p.s[p.pos:end]
	p.pos = end + 2
	switch {
	case p.eat("'"):
		v, err := p.quoted()
		if err != nil {
			return c, err
		}
		c.Value, c.Quoted = v, true
	case p.eat("B'"): // bit and bit varying
		v, err := p.quoted()
		if err != nil {
			return c, err
		}
		c.Value = v
	default:
		i := strings.IndexByte(p.rest(), ' ')
		if i < 0 {
			i = len(p.rest())
		}
		tok := p.rest()[:i]
		p.pos += i
		switch tok {
		case "":
			return c, p.errorf("missing value of column %q", name)
		case "null":
			c.Null = true
		case "unchanged-toast-datum":
			c.UnchangedToast = true
		default:
			c.Value = tok
		}
	}
	if p.pos < len(p.s) && p.s[p.pos] != ' ' {
		return c, p.errorf("expected a space or the end after the value of column %q", name)
	}
	return c, nil
}

// quoted reads the rest of a '…' literal (the opening quote eaten), with ”
// for a quote.
func (p *tdParser) quoted() (string, error) {
	var b strings.Builder
	for {
		i := strings.IndexByte(p.rest(), '\'')
		if i < 0 {
			return "", p.errorf("unterminated quoted value")
		}
		b.WriteString(p.rest()[:i])
		p.pos += i + 1
		if !p.eat("'") {
			return b.String(), nil
		}
		b.WriteByte('\'')
	}
}

// ParseTimestamptz parses PostgreSQL's ISO output of a timestamp with time
// zone: "2026-11-27 05:40:00.123456+00", with 0 to 6 fractional digits and
// a UTC offset of hours, hours:minutes or hours:minutes:seconds (+05:30,
// -03, +00:19:32). Years past 9999 are read; BC dates and infinity are
// errors.
func ParseTimestamptz(s string) (time.Time, error) {
	return parsePGTimestamp(s, true)
}

// parseTimestamp parses a timestamp without time zone, as UTC (as pgx
// scans one).
func parseTimestamp(s string) (time.Time, error) {
	return parsePGTimestamp(s, false)
}

var errTimestamp = errors.New("not a PostgreSQL ISO timestamp")

func parsePGTimestamp(s string, zoned bool) (time.Time, error) {
	bad := func(why string) (time.Time, error) {
		return time.Time{}, fmt.Errorf("%w: %q: %s", errTimestamp, s, why)
	}
	if strings.HasSuffix(s, " BC") {
		return bad("BC dates are not supported")
	}
	r := s
	num := func(min, max int) (int, bool) {
		n := 0
		for n < len(r) && n < max && r[n] >= '0' && r[n] <= '9' {
			n++
		}
		if n < min {
			return 0, false
		}
		v, err := strconv.Atoi(r[:n])
		if err != nil {
			return 0, false
		}
		r = r[n:]
		return v, true
	}
	sep := func(c byte) bool {
		if len(r) > 0 && r[0] == c {
			r = r[1:]
			return true
		}
		return false
	}
	year, ok := num(4, 9)
	if !ok || !sep('-') {
		return bad("expected YYYY-")
	}
	month, ok := num(2, 2)
	if !ok || !sep('-') || month < 1 || month > 12 {
		return bad("expected a month MM-")
	}
	day, ok := num(2, 2)
	if !ok || !sep(' ') || day < 1 || day > 31 {
		return bad("expected a day DD and a space")
	}
	hour, ok := num(2, 2)
	if !ok || !sep(':') || hour > 23 {
		return bad("expected an hour HH:")
	}
	minute, ok := num(2, 2)
	if !ok || !sep(':') || minute > 59 {
		return bad("expected minutes MM:")
	}
	second, ok := num(2, 2)
	if !ok || second > 59 {
		return bad("expected seconds SS")
	}
	nsec := 0
	if sep('.') {
		before := len(r)
		frac, ok := num(1, 6)
		if !ok {
			return bad("expected 1 to 6 fractional digits")
		}
		for d := before - len(r); d < 9; d++ {
			frac *= 10
		}
		nsec = frac
	}
	loc := time.UTC
	if zoned {
		sign := 1
		switch {
		case sep('+'):
		case sep('-'):
			sign = -1
		default:
			return bad("expected a UTC offset (+HH, -HH:MM, …)")
		}
		oh, ok := num(2, 2)
		if !ok || oh > 15 {
			return bad("expected offset hours")
		}
		off := oh * 3600
		if sep(':') {
			om, ok := num(2, 2)
			if !ok || om > 59 {
				return bad("expected offset minutes")
			}
			off += om * 60
			if sep(':') {
				osec, ok := num(2, 2)
				if !ok || osec > 59 {
					return bad("expected offset seconds")
				}
				off += osec
			}
		}
		if off != 0 {
			loc = time.FixedZone("", sign*off)
		}
	}
	if r != "" {
		return bad("unexpected trailing text")
	}
	t := time.Date(year, time.Month(month), day, hour, minute, second, nsec, loc)
	if t.Day() != day {
		return bad("no such day in that month")
	}
	return t, nil
}
