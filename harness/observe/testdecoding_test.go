package observe

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func mustTime(t testing.TB, s string) time.Time {
	t.Helper()
	ts, err := ParseTimestamptz(s)
	require.NoError(t, err)
	return ts
}

// Lines as PostgreSQL 15's test_decoding printed them (include-xids=1,
// include-timestamp=1, skip-empty-xacts=1), a few trimmed.
func TestParseTestDecoding(t *testing.T) {
	ts := "timestamp with time zone"
	for _, tc := range []struct {
		name string
		in   string
		want TDMessage
	}{
		{"begin", "BEGIN 747", TDMessage{Kind: TDBegin, XID: 747, HasXID: true}},
		{"begin without xid", "BEGIN", TDMessage{Kind: TDBegin}},
		{"commit", "COMMIT 747 (at 2026-11-27 05:40:00.123456+00)",
			TDMessage{Kind: TDCommit, XID: 747, HasXID: true, CommitTime: mustTime(t, "2026-11-27 05:40:00.123456+00")}},
		{"commit without time", "COMMIT 4294967295", TDMessage{Kind: TDCommit, XID: 4294967295, HasXID: true}},
		{"commit without xid", "COMMIT (at 2026-11-27 05:40:00+05:30)",
			TDMessage{Kind: TDCommit, CommitTime: mustTime(t, "2026-11-27 00:10:00+00")}},
		{"heartbeat update",
			`table public.ml_processingservice: UPDATE: id[bigint]:3 name[text]:'it''s' endpoint_url[text]:null last_seen[timestamp with time zone]:'2026-11-27 05:40:00.123456+00' last_seen_live[boolean]:true`,
			TDMessage{Kind: TDChange, Schema: "public", Table: "ml_processingservice", Op: "UPDATE", New: []TDColumn{
				{Name: "id", Type: "bigint", Value: "3"},
				{Name: "name", Type: "text", Value: "it's", Quoted: true},
				{Name: "endpoint_url", Type: "text", Null: true},
				{Name: "last_seen", Type: ts, Value: "2026-11-27 05:40:00.123456+00", Quoted: true},
				{Name: "last_seen_live", Type: "boolean", Value: "true"},
			}}},
		{"insert",
			`table public.ml_processingservice: INSERT: id[bigint]:2 name[text]:'b' endpoint_url[text]:'http://x' last_seen[timestamp with time zone]:null last_seen_live[boolean]:null`,
			TDMessage{Kind: TDChange, Schema: "public", Table: "ml_processingservice", Op: "INSERT", New: []TDColumn{
				{Name: "id", Type: "bigint", Value: "2"},
				{Name: "name", Type: "text", Value: "b", Quoted: true},
				{Name: "endpoint_url", Type: "text", Value: "http://x", Quoted: true},
				{Name: "last_seen", Type: ts, Null: true},
				{Name: "last_seen_live", Type: "boolean", Null: true},
			}}},
		{"delete shows the key",
			`table public.ml_processingservice: DELETE: id[bigint]:2`,
			TDMessage{Kind: TDChange, Schema: "public", Table: "ml_processingservice", Op: "DELETE", Old: []TDColumn{
				{Name: "id", Type: "bigint", Value: "2"},
			}}},
		{"delete without replica identity",
			`table public.t: DELETE: (no-tuple-data)`,
			TDMessage{Kind: TDChange, Schema: "public", Table: "t", Op: "DELETE", NoTupleData: true}},
		{"old-key, new-tuple and toast",
			`table public.t: UPDATE: old-key: id[integer]:1 new-tuple: id[integer]:2 doc[text]:unchanged-toast-datum`,
			TDMessage{Kind: TDChange, Schema: "public", Table: "t", Op: "UPDATE",
				Old: []TDColumn{{Name: "id", Type: "integer", Value: "1"}},
				New: []TDColumn{{Name: "id", Type: "integer", Value: "2"}, {Name: "doc", Type: "text", UnchangedToast: true}}}},
		{"quoted names, odd types and values",
			`table "My Schema"."We ird": INSERT: "Col ""x"""[integer[]]:'{1,2}' b[bit]:B'0101' n[numeric]:NaN f[double precision]:-Infinity t[timestamp without time zone]:'2020-01-01 00:00:00' j[jsonb]:'{"a": "it''s` + "\n" + `line"}' "c]:x"[character varying[]]:'{a,"b c"}' q[public."we]i:rd"]:' ' e[text]:''`,
			TDMessage{Kind: TDChange, Schema: "My Schema", Table: "We ird", Op: "INSERT", New: []TDColumn{
				{Name: `Col "x"`, Type: "integer[]", Value: "{1,2}", Quoted: true},
				{Name: "b", Type: "bit", Value: "0101"},
				{Name: "n", Type: "numeric", Value: "NaN"},
				{Name: "f", Type: "double precision", Value: "-Infinity"},
				{Name: "t", Type: "timestamp without time zone", Value: "2020-01-01 00:00:00", Quoted: true},
				{Name: "j", Type: "jsonb", Value: "{\"a\": \"it's\nline\"}", Quoted: true},
				{Name: "c]:x", Type: "character varying[]", Value: `{a,"b c"}`, Quoted: true},
				{Name: "q", Type: `public."we]i:rd"`, Value: " ", Quoted: true},
				{Name: "e", Type: "text", Value: "", Quoted: true},
			}}},
		{"truncate", `table public.ml_processingservice, public."We ird": TRUNCATE: (no-flags)`,
			TDMessage{Kind: TDOther, Schema: "public", Table: "ml_processingservice", Op: "TRUNCATE"}},
		{"truncate one", `table public.t: TRUNCATE: restart_seqs cascade`,
			TDMessage{Kind: TDOther, Schema: "public", Table: "t", Op: "TRUNCATE"}},
		{"logical message", "message: transactional: 0 prefix: hbh, sz: 5 content:hello", TDMessage{Kind: TDOther}},
		{"streaming", "opening a streamed block for transaction TXN 1", TDMessage{Kind: TDOther}},
		{"empty", "", TDMessage{Kind: TDOther}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseTestDecoding(tc.in)
			require.NoError(t, err)
			require.True(t, got.CommitTime.Equal(tc.want.CommitTime), "commit time %v, want %v", got.CommitTime, tc.want.CommitTime)
			got.CommitTime, tc.want.CommitTime = time.Time{}, time.Time{}
			require.Equal(t, tc.want, got)
		})
	}
}

func TestParseTestDecodingRejects(t *testing.T) {
	for _, in := range []string{
		"BEGIN x",
		"BEGIN 4294967296",
		"COMMIT 12 (at yesterday)",
		"COMMIT 12 at 2026-11-27 05:40:00+00",
		"COMMIT x",
		"table public.t",
		"table public.t: UPDATE",
		`table "unterminated: UPDATE: id[int]:1`,
		"table public.t: UPDATE: id[integer:1",
		"table public.t: UPDATE: id[integer]:'open",
		"table public.t: UPDATE: id[integer]:",
		"table public.t: UPDATE: id[integer]:'a'b",
		"table public.t: UPDATE:  id[integer]:1",
		"table public.t: UPDATE: id:1",
		"table : UPDATE: id[integer]:1",
		`table "": INSERT:`,
		`table public.t: INSERT: ""[integer]:1`,
	} {
		_, err := ParseTestDecoding(in)
		require.Error(t, err, "%q", in)
	}
}

func TestParseTimestamptz(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Time
	}{
		{"2026-11-27 05:40:00+00", time.Date(2026, 11, 27, 5, 40, 0, 0, time.UTC)},
		{"2026-11-27 05:40:00.1+00", time.Date(2026, 11, 27, 5, 40, 0, 100_000_000, time.UTC)},
		{"2026-11-27 05:40:00.123456+00", time.Date(2026, 11, 27, 5, 40, 0, 123_456_000, time.UTC)},
		{"2026-11-27 05:40:00.000001+00", time.Date(2026, 11, 27, 5, 40, 0, 1000, time.UTC)},
		{"2026-11-27 11:10:00.5+05:30", time.Date(2026, 11, 27, 5, 40, 0, 500_000_000, time.UTC)},
		{"2026-11-27 02:40:00-03", time.Date(2026, 11, 27, 5, 40, 0, 0, time.UTC)},
		{"1900-01-01 00:00:00+00:09:21", time.Date(1899, 12, 31, 23, 50, 39, 0, time.UTC)},
		{"12026-01-01 00:00:00+00", time.Date(12026, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"2024-02-29 23:59:59.999999-12", time.Date(2024, 3, 1, 11, 59, 59, 999_999_000, time.UTC)},
	} {
		got, err := ParseTimestamptz(tc.in)
		require.NoError(t, err, tc.in)
		require.True(t, got.Equal(tc.want), "%s: got %v, want %v", tc.in, got, tc.want)
	}
	for _, in := range []string{
		"", "infinity", "-infinity", "2026-11-27 05:40:00", "2026-11-27T05:40:00+00", "2026-11-27 05:40:00.+00",
		"2026-11-27 05:40:00.1234567+00", "2026-13-01 00:00:00+00", "2026-02-30 00:00:00+00", "2026-11-27 24:00:00+00",
		"0044-03-15 12:00:00+00 BC", "2026-11-27 05:40:00+00 ", "2026-11-27 05:40:00+5", "26-11-27 05:40:00+00",
	} {
		_, err := ParseTimestamptz(in)
		require.Error(t, err, "%q", in)
	}
	naive, err := parseTimestamp("2020-01-01 00:00:00.25")
	require.NoError(t, err)
	require.True(t, naive.Equal(time.Date(2020, 1, 1, 0, 0, 0, 250_000_000, time.UTC)))
	_, err = parseTimestamp("2020-01-01 00:00:00+00")
	require.Error(t, err)
}

// renderChange writes a change the way test_decoding's tuple_to_stringinfo
// does.
func renderChange(m TDMessage) string {
	var b strings.Builder
	fmt.Fprintf(&b, "table %s.%s: %s:", sqlIdent(m.Schema), sqlIdent(m.Table), m.Op)
	cols := func(cs []TDColumn) {
		for _, c := range cs {
			fmt.Fprintf(&b, " %s[%s]:", sqlIdent(c.Name), c.Type)
			switch {
			case c.Null:
				b.WriteString("null")
			case c.UnchangedToast:
				b.WriteString("unchanged-toast-datum")
			case c.Quoted:
				b.WriteString("'" + strings.ReplaceAll(c.Value, "'", "''") + "'")
			default:
				b.WriteString(c.Value)
			}
		}
	}
	if m.Old != nil {
		b.WriteString(" old-key:")
		cols(m.Old)
		b.WriteString(" new-tuple:")
	}
	cols(m.New)
	return b.String()
}

// Whatever a name, type or text value holds, test_decoding's quoting lets
// it be read back exactly.
func FuzzTestDecodingRoundTrip(f *testing.F) {
	f.Add("public", "ml_processingservice", "name", "text", "it's", false)
	f.Add("My Schema", `we"ird`, "c]:x", "character varying", "a' b]:c ''", true)
	f.Add("s", "t", "old-key:", `"x]:y"[]`, "null", false)
	f.Add("s", "t", "n", "integer", "", true)
	f.Fuzz(func(t *testing.T, schema, table, name, typName, value string, withOld bool) {
		if schema == "" || table == "" || name == "" {
			t.Skip()
		}
		m := TDMessage{Kind: TDChange, Schema: schema, Table: table, Op: "UPDATE", New: []TDColumn{
			{Name: "id", Type: "bigint", Value: "7"},
			{Name: name, Type: sqlIdent(typName) + "[]", Value: value, Quoted: true},
			{Name: "x", Type: "boolean", Null: true},
		}}
		if withOld {
			m.Old = []TDColumn{{Name: name, Type: "text", Value: value, Quoted: true}}
		}
		got, err := ParseTestDecoding(renderChange(m))
		if err != nil {
			t.Fatalf("%q: %v", renderChange(m), err)
		}
		m.New[1].Type = sqlIdent(typName) + "[]"
		require.Equal(t, m, got)
	})
}

// Arbitrary input never panics; what parses as a change has named columns.
func FuzzParseTestDecoding(f *testing.F) {
	for _, s := range []string{
		"BEGIN 747",
		"COMMIT 747 (at 2026-11-27 05:40:00.123456+00)",
		`table public.ml_processingservice: UPDATE: id[bigint]:3 name[text]:'it''s' endpoint_url[text]:null last_seen[timestamp with time zone]:'2026-11-27 05:40:00.123456+00' last_seen_live[boolean]:true`,
		`table public.t: UPDATE: old-key: id[integer]:1 new-tuple: id[integer]:2 doc[text]:unchanged-toast-datum`,
		`table "My Schema"."We ird": INSERT: "Col ""x"""[integer[]]:'{1,2}' b[bit]:B'0101' q[public."we]i:rd"]:' '`,
		`table public.a, public.b: TRUNCATE: (no-flags)`,
		"message: transactional: 0 prefix: hbh, sz: 5 content:hello",
		"table ", "table \"", "table a: UPDATE: x[", "COMMIT 1 (at )", "COMMIT  (at 2026-11-27 05:40:00+00)", `table "": INSERT:`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseTestDecoding(s)
		if err != nil {
			return
		}
		if m.Kind == TDChange {
			if m.Table == "" {
				t.Fatalf("%q parsed as a change of no table", s)
			}
			for _, c := range append(append([]TDColumn{}, m.Old...), m.New...) {
				if c.Name == "" {
					t.Fatalf("%q parsed with an unnamed column", s)
				}
			}
		}
	})
}
