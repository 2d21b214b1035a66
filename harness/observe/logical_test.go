package observe

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/internal/provision"
	"github.com/hbharness/hbharness/internal/provision/pgcluster"
	"github.com/hbharness/hbharness/internal/testdeps"
)

var logicalSettings = map[string]string{"wal_level": "logical", "max_replication_slots": "4", "max_wal_senders": "4"}

// serviceDB creates database name on the cluster with the service table of docs/design.md#schema
// (last_seen of lastSeenType), 3 async rows and 1 with an endpoint.
func serviceDB(t *testing.T, c *pgcluster.Cluster, name, lastSeenType string) (dsn string, pool *pgxpool.Pool, async [3]int64, sync int64) {
	t.Helper()
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, c.DSN(""))
	require.NoError(t, err)
	_, err = admin.Exec(ctx, "CREATE DATABASE "+name)
	require.NoError(t, err)
	require.NoError(t, admin.Close(ctx))
	dsn = c.DSN(name)
	pool, err = pgxpool.New(ctx, dsn)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	_, err = pool.Exec(ctx, `CREATE TABLE ml_processingservice (
		id bigserial PRIMARY KEY, name text NOT NULL, endpoint_url text NULL,
		last_seen `+lastSeenType+` NULL, last_seen_live boolean NULL)`)
	require.NoError(t, err)
	rows, err := pool.Query(ctx, `INSERT INTO ml_processingservice (name, endpoint_url, last_seen, last_seen_live) VALUES
		('async-1', NULL, now() - interval '1 hour', true), ('it''s async-2', NULL, now() - interval '1 hour', true),
		('async-3', NULL, NULL, NULL), ('sync', 'http://sync.example', NULL, NULL) RETURNING id`)
	require.NoError(t, err)
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	require.NoError(t, err)
	copy(async[:], ids[:3])
	return dsn, pool, async, ids[3]
}

// inTx runs sql in one transaction and returns its xid.
func inTx(t *testing.T, pool *pgxpool.Pool, sql ...string) uint32 {
	t.Helper()
	ctx := context.Background()
	tx, err := pool.Begin(ctx)
	require.NoError(t, err)
	defer tx.Rollback(ctx)
	var xid int64
	require.NoError(t, tx.QueryRow(ctx, "SELECT txid_current()").Scan(&xid))
	for _, s := range sql {
		_, err := tx.Exec(ctx, s)
		require.NoError(t, err, s)
	}
	require.NoError(t, tx.Commit(ctx))
	return uint32(xid)
}

func lastSeenOf(t *testing.T, pool *pgxpool.Pool, id int64) time.Time {
	t.Helper()
	var ts time.Time
	require.NoError(t, pool.QueryRow(context.Background(), "SELECT last_seen FROM ml_processingservice WHERE id = $1", id).Scan(&ts))
	return ts
}

func slotCount(t *testing.T, dsn string) int {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), dsn)
	require.NoError(t, err)
	defer conn.Close(context.Background())
	var n int
	require.NoError(t, conn.QueryRow(context.Background(), "SELECT count(*) FROM pg_replication_slots").Scan(&n))
	return n
}

func ptr[T any](v T) *T { return &v }

func TestLogical(t *testing.T) {
	testdeps.NeedsServices(t)
	began := time.Now()
	c := pgcluster.ForTest(t, logicalSettings)
	t.Logf("throwaway cluster (PostgreSQL %s) ready in %s", c.Version, time.Since(began).Round(time.Millisecond))
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))

	// Two async rows' heartbeat in one transaction, a checker flip, a write
	// to the row with an endpoint, a rename, a second heartbeat: each
	// transaction comes back whole, with its xid and commit time, and only
	// the heartbeats changed last_seen.
	t.Run("heartbeats and flips", func(t *testing.T) {
		for _, typ := range []string{"timestamptz", "timestamp"} { // Antenna's last_seen is naive
			t.Run(typ, func(t *testing.T) {
				dsn, pool, a, syncID := serviceDB(t, c, "obs_"+typ, typ)
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				t0 := time.Now()
				l, err := StartLogical(ctx, dsn, log)
				require.NoError(t, err)
				defer l.Close()
				t.Logf("StartLogical took %s (slot %s)", time.Since(t0).Round(time.Millisecond), l.Slot())
				require.Equal(t, 1, slotCount(t, dsn))

				from := time.Now()
				hb1 := inTx(t, pool, "UPDATE ml_processingservice SET last_seen = now(), last_seen_live = true WHERE id IN ("+itoa(a[0])+", "+itoa(a[1])+")")
				seen1 := lastSeenOf(t, pool, a[0])
				flip := inTx(t, pool, "UPDATE ml_processingservice SET last_seen_live = false WHERE id = "+itoa(a[0]))
				inTx(t, pool, "UPDATE ml_processingservice SET last_seen = now(), last_seen_live = true WHERE id = "+itoa(syncID))
				rename := inTx(t, pool, "UPDATE ml_processingservice SET name = 'renamed' WHERE id = "+itoa(a[1]))
				hb2 := inTx(t, pool, "UPDATE ml_processingservice SET last_seen = now(), last_seen_live = true WHERE endpoint_url IS NULL")
				seen2 := lastSeenOf(t, pool, a[0])
				to := time.Now()

				mid := l.Changes()
				require.LessOrEqual(t, len(mid), 8)

				t1 := time.Now()
				changes, err := l.Stop(ctx)
				require.NoError(t, err)
				t.Logf("Stop took %s", time.Since(t1).Round(time.Millisecond))
				require.Equal(t, 0, slotCount(t, dsn), "the temporary slot outlived Stop")

				type want struct {
					xid            uint32
					id             int64
					lastSeen       *time.Time
					live           *bool
					seenCh, liveCh bool
				}
				wants := []want{
					{hb1, a[0], &seen1, ptr(true), true, false},
					{hb1, a[1], &seen1, ptr(true), true, false},
					{flip, a[0], &seen1, ptr(false), false, true},
					{rename, a[1], &seen1, ptr(true), false, false},
					{hb2, a[0], &seen2, ptr(true), true, true},
					{hb2, a[1], &seen2, ptr(true), true, false},
					{hb2, a[2], &seen2, ptr(true), true, true}, // was NULL, NULL
				}
				require.Len(t, changes, len(wants), "%+v", changes)
				// hb2 touches its rows in physical order; compare as a set
				byKey := map[[2]int64]RowChange{}
				for _, ch := range changes {
					require.NotEqual(t, syncID, ch.ServiceID, "a row with an endpoint was reported")
					byKey[[2]int64{int64(ch.XID), ch.ServiceID}] = ch
				}
				for _, w := range wants {
					ch, ok := byKey[[2]int64{int64(w.xid), w.id}]
					require.True(t, ok, "no change of row %d in transaction %d: %+v", w.id, w.xid, changes)
					require.NotNil(t, ch.LastSeen)
					require.True(t, ch.LastSeen.Equal(*w.lastSeen), "row %d xid %d: last_seen %v, want %v", w.id, w.xid, ch.LastSeen, w.lastSeen)
					require.Equal(t, w.live, ch.Live, "row %d xid %d", w.id, w.xid)
					require.Equal(t, w.seenCh, ch.LastSeenChanged, "row %d xid %d LastSeenChanged", w.id, w.xid)
					require.Equal(t, w.liveCh, ch.LiveChanged, "row %d xid %d LiveChanged", w.id, w.xid)
					require.Equal(t, w.seenCh, ch.Heartbeat())
				}
				// Commit order, commit times within the test's wall window.
				for i, ch := range changes {
					require.False(t, ch.CommitTime.Before(from.Add(-time.Second)), "commit time %v before %v", ch.CommitTime, from)
					require.False(t, ch.CommitTime.After(to.Add(time.Second)), "commit time %v after %v", ch.CommitTime, to)
					if i > 0 {
						require.False(t, ch.CommitTime.Before(changes[i-1].CommitTime), "not in commit order")
						if ch.XID == changes[i-1].XID {
							require.True(t, ch.CommitTime.Equal(changes[i-1].CommitTime))
						}
					}
				}
				require.Equal(t, []uint32{hb1, hb1, flip, rename, hb2, hb2, hb2}, xids(changes))

				again, err := l.Stop(ctx)
				require.NoError(t, err)
				require.Equal(t, changes, again)
				require.Equal(t, changes, l.Changes())
				l.Close()
				l.Close()
			})
		}
	})

	// Inserts and deletes are not reported but keep the row set right: a
	// row inserted async after the start is followed; one given an
	// endpoint leaves; a deleted one is forgotten.
	t.Run("rows come and go", func(t *testing.T) {
		dsn, pool, a, _ := serviceDB(t, c, "obs_churn", "timestamptz")
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		l, err := StartLogical(ctx, dsn, log)
		require.NoError(t, err)
		defer l.Close()
		var newID int64
		require.NoError(t, pool.QueryRow(ctx, `INSERT INTO ml_processingservice (name, last_seen, last_seen_live)
			VALUES ('new', '2020-01-01 00:00:00+00', true) RETURNING id`).Scan(&newID))
		inTx(t, pool, "UPDATE ml_processingservice SET last_seen = '2020-01-01 00:00:00+00', last_seen_live = false WHERE id = "+itoa(newID))
		inTx(t, pool, "UPDATE ml_processingservice SET endpoint_url = 'http://now-sync' WHERE id = "+itoa(a[1]))
		inTx(t, pool, "UPDATE ml_processingservice SET last_seen = now() WHERE id = "+itoa(a[1]))
		inTx(t, pool, "DELETE FROM ml_processingservice WHERE id = "+itoa(a[2]))
		inTx(t, pool, "CREATE TABLE other (id bigint PRIMARY KEY, last_seen timestamptz)",
			"INSERT INTO other VALUES (1, now())", "UPDATE other SET last_seen = now()") // another table
		changes, err := l.Stop(ctx)
		require.NoError(t, err)
		require.Len(t, changes, 1, "%+v", changes)
		require.Equal(t, newID, changes[0].ServiceID)
		require.False(t, changes[0].LastSeenChanged)
		require.True(t, changes[0].LiveChanged)
		require.Equal(t, 0, slotCount(t, dsn))
	})

	// Close without Stop (an interrupted run) leaves no slot behind.
	t.Run("close without stop", func(t *testing.T) {
		dsn, pool, a, _ := serviceDB(t, c, "obs_close", "timestamptz")
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		l, err := StartLogical(ctx, dsn, log)
		require.NoError(t, err)
		inTx(t, pool, "UPDATE ml_processingservice SET last_seen = now() WHERE id = "+itoa(a[0]))
		require.Equal(t, 1, slotCount(t, dsn))
		l.Close()
		require.Equal(t, 0, slotCount(t, dsn), "the temporary slot outlived Close")
		l.Close()
		_, err = l.Stop(ctx) // after Close: an error, no hang
		require.Error(t, err)
	})

	// Stop with a context already over still ends the stream and the slot,
	// and says the changes may be incomplete.
	t.Run("stop out of time", func(t *testing.T) {
		dsn, _, _, _ := serviceDB(t, c, "obs_expired", "timestamptz")
		l, err := StartLogical(context.Background(), dsn, log)
		require.NoError(t, err)
		defer l.Close()
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err = l.Stop(ctx)
		require.ErrorIs(t, err, context.Canceled)
		require.Equal(t, 0, slotCount(t, dsn))
	})

	// The standby status updates keep the stream alive past
	// wal_sender_timeout, and an idle stream still catches up at Stop.
	t.Run("outlives wal_sender_timeout", func(t *testing.T) {
		dsn, pool, a, _ := serviceDB(t, c, "obs_idle", "timestamptz")
		ctx := context.Background()
		_, err := pool.Exec(ctx, "ALTER SYSTEM SET wal_sender_timeout = '1s'")
		require.NoError(t, err)
		_, err = pool.Exec(ctx, "SELECT pg_reload_conf()")
		require.NoError(t, err)
		defer func() {
			_, _ = pool.Exec(ctx, "ALTER SYSTEM RESET wal_sender_timeout")
			_, _ = pool.Exec(ctx, "SELECT pg_reload_conf()")
		}()
		l, err := StartLogical(ctx, dsn, log)
		require.NoError(t, err)
		defer l.Close()
		time.Sleep(3 * time.Second)
		xid := inTx(t, pool, "UPDATE ml_processingservice SET last_seen = now() WHERE id = "+itoa(a[0]))
		time.Sleep(2500 * time.Millisecond)
		stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		changes, err := l.Stop(stopCtx)
		require.NoError(t, err)
		require.Equal(t, []uint32{xid}, xids(changes))
	})

	t.Run("role without REPLICATION", func(t *testing.T) {
		dsn, _, _, _ := serviceDB(t, c, "obs_role", "timestamptz")
		conn, err := pgx.Connect(context.Background(), dsn)
		require.NoError(t, err)
		_, err = conn.Exec(context.Background(), "CREATE ROLE plain LOGIN; GRANT SELECT ON ml_processingservice TO plain")
		require.NoError(t, err)
		require.NoError(t, conn.Close(context.Background()))
		cfg, err := pgx.ParseConfig(dsn)
		require.NoError(t, err)
		plain := "postgres://plain@127.0.0.1:" + itoa(int64(cfg.Port)) + "/obs_role?sslmode=disable"
		_, err = StartLogical(context.Background(), plain, log)
		require.ErrorIs(t, err, ErrLogicalUnavailable)
		require.ErrorContains(t, err, "lacks the REPLICATION attribute")
		require.ErrorContains(t, err, "ALTER ROLE plain REPLICATION")
		t.Log(err)
	})

	t.Run("slots exhausted", func(t *testing.T) {
		dsn, _, _, _ := serviceDB(t, c, "obs_slots", "timestamptz")
		conn, err := pgx.Connect(context.Background(), dsn)
		require.NoError(t, err)
		defer conn.Close(context.Background())
		for i := range 4 {
			_, err := conn.Exec(context.Background(), "SELECT pg_create_physical_replication_slot($1)", "filler_"+itoa(int64(i)))
			require.NoError(t, err)
		}
		defer conn.Exec(context.Background(), "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name LIKE 'filler%'")
		_, err = StartLogical(context.Background(), dsn, log)
		require.ErrorIs(t, err, ErrLogicalUnavailable)
		require.ErrorContains(t, err, "max_replication_slots")
		t.Log(err)
	})

	// A walsender ended under the observer: it reconnects with a new slot
	// and a new baseline. The gap is reported, what was committed in it is
	// missing (not made up), and what comes after is judged against the
	// new baseline.
	t.Run("reconnects after a break", func(t *testing.T) {
		dsn, pool, a, _ := serviceDB(t, c, "obs_break", "timestamptz")
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		t.Cleanup(cancel)
		began := time.Now()
		l, err := StartLogical(ctx, dsn, log)
		require.NoError(t, err)
		t.Cleanup(l.Close)
		first := l.Slot()

		before := inTx(t, pool, "UPDATE ml_processingservice SET last_seen = now() WHERE id = "+itoa(a[0]))
		require.Eventually(t, func() bool { return len(l.Changes()) == 1 }, 10*time.Second, 10*time.Millisecond,
			"the change before the break never arrived")

		// Open across the break, this transaction commits in the gap
		// whatever the timing: a new slot is not consistent before every
		// transaction running at its creation has ended.
		const gapValue = "2021-06-01 12:00:00+00"
		tx, err := pool.Begin(ctx)
		require.NoError(t, err)
		t.Cleanup(func() { _ = tx.Rollback(context.Background()) })
		var lost int64
		require.NoError(t, tx.QueryRow(ctx, "SELECT txid_current()").Scan(&lost))
		_, err = tx.Exec(ctx, "UPDATE ml_processingservice SET last_seen = '"+gapValue+"' WHERE id = "+itoa(a[1]))
		require.NoError(t, err)

		endWalsender(t, pool, first)
		require.NoError(t, tx.Commit(ctx))
		require.Eventually(t, func() bool { return l.Slot() != first }, 20*time.Second, 10*time.Millisecond,
			"the observer did not reconnect")
		gaps := l.Gaps()
		require.Len(t, gaps, 1)
		require.Equal(t, gaps, l.Gaps(), "the gap is still open after the reconnect")
		t.Logf("gap of %s: %s", gaps[0].To.Sub(gaps[0].From).Round(time.Millisecond), gaps[0].Reason)

		after := []uint32{
			// The gap's value again: not a heartbeat against the new
			// baseline, where the start's baseline would call it one.
			inTx(t, pool, "UPDATE ml_processingservice SET last_seen = '"+gapValue+"', last_seen_live = false WHERE id = "+itoa(a[1])),
			inTx(t, pool, "UPDATE ml_processingservice SET last_seen = now() WHERE id = "+itoa(a[0])),
			inTx(t, pool, "UPDATE ml_processingservice SET last_seen = now() WHERE id = "+itoa(a[2])), // was NULL, NULL
		}
		changes, err := l.Stop(ctx)
		stopped := time.Now()
		require.NoError(t, err)
		require.Equal(t, 0, slotCount(t, dsn), "a slot outlived Stop")

		gaps = l.Gaps()
		require.Len(t, gaps, 1)
		require.True(t, gaps[0].From.Before(gaps[0].To), "%+v", gaps[0])
		require.False(t, gaps[0].From.Before(began), "%+v", gaps[0])
		require.True(t, gaps[0].To.Before(stopped), "%+v", gaps[0])
		require.NotEmpty(t, gaps[0].Reason)

		require.Equal(t, append([]uint32{before}, after...), xids(changes), "%+v", changes)
		require.NotContains(t, xids(changes), uint32(lost), "a change committed in the gap was reported")
		type want struct {
			id             int64
			seenCh, liveCh bool
		}
		for i, w := range []want{{a[0], true, false}, {a[1], false, true}, {a[0], true, false}, {a[2], true, false}} {
			ch := changes[i]
			require.Equal(t, w.id, ch.ServiceID, "change %d", i)
			require.Equal(t, w.seenCh, ch.LastSeenChanged, "change %d (row %d) LastSeenChanged", i, ch.ServiceID)
			require.Equal(t, w.liveCh, ch.LiveChanged, "change %d (row %d) LiveChanged", i, ch.ServiceID)
			require.NotNil(t, ch.LastSeen)
			require.True(t, ch.CommitTime.After(gaps[0].To.Add(-time.Second)) || i == 0, "change %d committed at %v, before the gap ended", i, ch.CommitTime)
		}
		gapTime, err := time.Parse("2006-01-02 15:04:05-07", gapValue)
		require.NoError(t, err)
		require.True(t, changes[1].LastSeen.Equal(gapTime), "%v", changes[1].LastSeen)
	})

	// Where reconnecting keeps failing, Close ends the backoff at once,
	// and Stop says the stream was lost; neither leaves a slot.
	t.Run("close while reconnecting", func(t *testing.T) {
		failed := make(chan time.Duration, 100)
		l, dsn := refusedAfterBreak(t, c, "obs_refused_close", slog.New(reconnects{log.Handler(), failed}))
		for next := time.Duration(0); next < time.Second; {
			select {
			case next = <-failed:
			case <-time.After(20 * time.Second):
				t.Fatal("no failed reconnect logged")
			}
		}
		// It now waits over a second before its next attempt.
		t0 := time.Now()
		l.Close()
		took := time.Since(t0)
		require.Less(t, took, 500*time.Millisecond, "Close waited out the backoff")
		t.Logf("Close took %s", took.Round(time.Millisecond))
		require.Equal(t, 0, slotCount(t, dsn))
		gaps := l.Gaps()
		require.Len(t, gaps, 1)
		require.True(t, gaps[0].From.Before(gaps[0].To), "%+v", gaps[0])
		require.False(t, gaps[0].To.After(t0.Add(took)), "%+v", gaps[0])
	})

	t.Run("stop while reconnecting", func(t *testing.T) {
		l, dsn := refusedAfterBreak(t, c, "obs_refused_stop", log)
		time.Sleep(time.Second) // a few attempts fail
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		t0 := time.Now()
		_, err := l.Stop(ctx)
		require.Less(t, time.Since(t0), 2*time.Second)
		require.ErrorContains(t, err, "lost its stream at")
		require.ErrorContains(t, err, "could not reconnect")
		require.ErrorContains(t, err, "REPLICATION attribute", "the last attempt's error")
		t.Log(err)
		require.Equal(t, 0, slotCount(t, dsn))
		gaps := l.Gaps()
		require.Len(t, gaps, 1)
		require.False(t, gaps[0].To.After(time.Now()))
		require.Equal(t, gaps, l.Gaps(), "the gap did not end at Stop")
	})
}

// Against the machine's shared server, whose wal_level is not logical,
// StartLogical says so, and creates nothing.
func TestLogicalUnavailableOnSharedServer(t *testing.T) {
	testdeps.NeedsServices(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dsn := provision.FromEnv().Database
	conn, err := pgx.Connect(ctx, dsn)
	require.NoError(t, err, "the shared PostgreSQL (DATABASE_URL or 127.0.0.1:5432) must be running")
	defer conn.Close(ctx)
	var walLevel string
	require.NoError(t, conn.QueryRow(ctx, "SHOW wal_level").Scan(&walLevel))
	var logical error
	if walLevel == "logical" {
		logical = errors.New("its wal_level is logical: nothing to refuse")
	}
	testdeps.Require(t, "a shared PostgreSQL without logical decoding", logical, "run it with wal_level replica or minimal (the default)")
	_, err = StartLogical(ctx, dsn, nil)
	require.Error(t, err)
	require.True(t, errors.Is(err, ErrLogicalUnavailable), "%v", err)
	require.ErrorContains(t, err, "wal_level")
	require.ErrorContains(t, err, "restart the server")
	t.Log(err)
	var ours int
	require.NoError(t, conn.QueryRow(ctx, `SELECT count(*) FROM pg_replication_slots WHERE slot_name LIKE 'hbh\_obs\_%'`).Scan(&ours))
	require.Zero(t, ours)
}

// Errors of the replication connection that mean "not configured for
// logical decoding" wrap ErrLogicalUnavailable and say how to fix it.
func TestReplicationErrorWording(t *testing.T) {
	for _, tc := range []struct {
		pg   pgconn.PgError
		fix  string
		wrap bool
	}{
		{pgconn.PgError{Severity: "FATAL", Code: "42501", Message: "must be superuser or replication role to start walsender"}, "ALTER ROLE bob REPLICATION", true},
		{pgconn.PgError{Severity: "FATAL", Code: "53300", Message: "number of requested standby connections exceeds max_wal_senders (currently 0)"}, "max_wal_senders", true},
		{pgconn.PgError{Severity: "ERROR", Code: "53400", Message: "all replication slots are in use"}, "max_replication_slots", true},
		{pgconn.PgError{Severity: "ERROR", Code: "58P01", Message: `could not access file "test_decoding": No such file or directory`}, "contrib", true},
		{pgconn.PgError{Severity: "ERROR", Code: "55000", Message: "logical decoding requires wal_level >= logical"}, "wal_level = logical", true},
		{pgconn.PgError{Severity: "FATAL", Code: "28000", Message: `no pg_hba.conf entry for replication connection from host "10.0.0.1", user "bob"`}, "pg_hba.conf", true},
		{pgconn.PgError{Severity: "ERROR", Code: "57014", Message: "canceling statement due to user request"}, "canceling", false},
	} {
		err := replicationError("doing it", "bob", &tc.pg)
		require.Equal(t, tc.wrap, errors.Is(err, ErrLogicalUnavailable), "%v", err)
		require.ErrorContains(t, err, tc.fix)
		var pg *pgconn.PgError
		require.True(t, errors.As(err, &pg), "the server's error stays reachable: %v", err)
	}
	err := replicationError("doing it", "bob", context.DeadlineExceeded)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.False(t, errors.Is(err, ErrLogicalUnavailable))
}

// endWalsender terminates the backend streaming slot and waits until the
// server has dropped the slot.
func endWalsender(t *testing.T, pool *pgxpool.Pool, slot string) {
	t.Helper()
	ctx := context.Background()
	var ended bool
	require.NoError(t, pool.QueryRow(ctx, "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = $1", slot).Scan(&ended))
	require.True(t, ended, "the walsender of slot %s was not terminated", slot)
	require.Eventually(t, func() bool {
		var n int
		require.NoError(t, pool.QueryRow(ctx, "SELECT count(*) FROM pg_replication_slots WHERE slot_name = $1", slot).Scan(&n))
		return n == 0
	}, 10*time.Second, 10*time.Millisecond, "slot %s outlived its walsender", slot)
}

// refusedAfterBreak starts an observer as role name (with REPLICATION) on
// database name, then takes the attribute away and ends the walsender:
// every reconnect fails from then on. It returns once the gap is open.
func refusedAfterBreak(t *testing.T, c *pgcluster.Cluster, name string, log *slog.Logger) (*Logical, string) {
	t.Helper()
	ctx := context.Background()
	superDSN, pool, _, _ := serviceDB(t, c, name, "timestamptz")
	_, err := pool.Exec(ctx, "CREATE ROLE "+name+" LOGIN REPLICATION")
	require.NoError(t, err)
	_, err = pool.Exec(ctx, "GRANT SELECT ON ml_processingservice TO "+name)
	require.NoError(t, err)
	cfg, err := pgx.ParseConfig(superDSN)
	require.NoError(t, err)
	dsn := "postgres://" + name + "@127.0.0.1:" + itoa(int64(cfg.Port)) + "/" + name + "?sslmode=disable"
	l, err := StartLogical(ctx, dsn, log)
	require.NoError(t, err)
	t.Cleanup(l.Close)
	_, err = pool.Exec(ctx, "ALTER ROLE "+name+" NOREPLICATION")
	require.NoError(t, err)
	endWalsender(t, pool, l.Slot())
	require.Eventually(t, func() bool { return len(l.Gaps()) == 1 }, 10*time.Second, 10*time.Millisecond,
		"the observer did not notice the break")
	return l, dsn
}

// reconnects passes on the wait before the next attempt each time the
// observer logs a failed reconnect.
type reconnects struct {
	slog.Handler
	next chan<- time.Duration
}

func (h reconnects) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == "logical observer: reconnect failed" {
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "next_in" {
				select {
				case h.next <- a.Value.Duration():
				default:
				}
			}
			return true
		})
	}
	return h.Handler.Handle(ctx, r)
}

func xids(cs []RowChange) []uint32 {
	out := make([]uint32, len(cs))
	for i, c := range cs {
		out[i] = c.XID
	}
	return out
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
