package observe

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/internal/modeltime"
	"github.com/hbharness/hbharness/internal/provision/testenv"
	"github.com/hbharness/hbharness/reference"
	"github.com/hbharness/hbharness/reference/contract"
	"github.com/hbharness/hbharness/reference/heartbeat"
	"github.com/hbharness/hbharness/reference/referencetest"
)

func seeded(t *testing.T) (*testenv.Env, []contract.Key) {
	env := testenv.New(t)
	ctx := context.Background()
	keys, err := reference.Seed(ctx, env.Pool, contract.Fixtures{Projects: 1, Pipelines: 2, ServicesPerKey: 2, JobsPerKey: 1}, false)
	require.NoError(t, err)
	return env, keys
}

// The audit sees every UPDATE statement, one per transaction, with the rows
// it wrote; an offline flip (last_seen unchanged) is not a heartbeat.
func TestAuditCountsStatements(t *testing.T) {
	env, keys := seeded(t)
	ctx := context.Background()
	require.NoError(t, InstallAudit(ctx, env.Pool))
	st := referencetest.NewWriter(env.Pool)
	now := time.Now()
	target := heartbeat.JobTarget(keys[0].PipelineID, keys[0].ProjectID)
	for i := range 3 {
		_, err := st.MarkSeen(ctx, target, now.Add(time.Duration(i)*time.Millisecond),
			fmt.Sprintf("r0-%d", i), target.GateKey())
		require.NoError(t, err)
	}
	_, err := st.MarkOffline(ctx, now.Add(time.Hour), time.Minute)
	require.NoError(t, err)
	ws, err := ReadAudit(ctx, env.Pool)
	require.NoError(t, err)
	require.Len(t, ws, 3, "three statements, however close together")
	for i, w := range ws {
		require.Equal(t, keys[0].Services, w.Services)
		require.Equal(t, fmt.Sprintf("r0-%d", i), w.DispatchID, "each write carries the dispatch that tagged it")
		require.Equal(t, target.GateKey(), w.Key)
		require.WithinDuration(t, time.Now(), w.At, 10*time.Second, "timed by the database")
		if i > 0 {
			require.True(t, w.At.After(ws[i-1].At), "in the order the database made them")
		}
	}
	// A tag lasts for its own transaction only: an untagged write later on
	// the same pooled connections is untagged.
	_, err = st.MarkSeen(ctx, target, now, "", "")
	require.NoError(t, err)
	ws, err = ReadAudit(ctx, env.Pool)
	require.NoError(t, err)
	require.Len(t, ws, 4)
	require.Empty(t, ws[3].DispatchID)
}

// The sampler tells heartbeat writes from offline flips by xmin and
// last_seen, and sees a write that lands before its first sample.
func TestSamplerSeesWritesAndFlips(t *testing.T) {
	env, keys := seeded(t)
	ctx := context.Background()
	st := referencetest.NewWriter(env.Pool)
	s := &Sampler{Pool: env.Pool, Every: time.Hour, Anchor: modeltime.Run{Start: time.Now(), Scale: 0.5}, Log: slog.New(slog.DiscardHandler)}
	require.NoError(t, s.Baseline(ctx))
	target := heartbeat.JobTarget(keys[1].PipelineID, keys[1].ProjectID)
	_, err := st.MarkSeen(ctx, target, time.Now().Add(-10*time.Second), "", "")
	require.NoError(t, err)
	s.Sample(ctx)
	require.Len(t, s.Writes(), 1)
	require.Equal(t, keys[1].Services, s.Writes()[0].Services)
	_, err = st.MarkOffline(ctx, time.Now(), time.Second)
	require.NoError(t, err)
	s.Sample(ctx)
	require.Len(t, s.Writes(), 1, "a flip is not a write")
	require.Equal(t, int64(4), s.RowUpdatesSeen(), "2 written + 2 flipped rows")

	var marked []bool
	for _, smp := range s.Samples()[len(s.Samples())-4:] {
		if smp.ServiceID == keys[1].Services[0] {
			require.InDelta(t, 20.0, smp.Staleness.Seconds(), 2, "10 s of wall at scale 0.5 is 20 s of model time")
			marked = append(marked, smp.Live)
		}
		if smp.ServiceID == keys[0].Services[0] {
			require.True(t, smp.Null, "NULL last_seen")
			require.True(t, smp.LiveNull)
		}
	}
	require.Equal(t, []bool{false}, marked, "flipped offline")

	n, err := SettledRowUpdates(ctx, env.Pool, 4, 15*time.Second)
	require.NoError(t, err)
	require.Equal(t, int64(4), n, "Postgres's own count agrees once flushed")
}

// A sampler whose connection is killed records the stretch it missed as a
// gap, takes no sample for it, and carries on once the pool reconnects.
func TestSamplerRecordsTheGapWhenItsConnectionDies(t *testing.T) {
	env, _ := seeded(t)
	ctx := context.Background()
	cfg, err := pgxpool.ParseConfig(env.DSN)
	require.NoError(t, err)
	cfg.ConnConfig.RuntimeParams["application_name"] = "hbh-sampler-under-test"
	cfg.MaxConns = 1
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	s := &Sampler{Pool: pool, Every: time.Hour, Anchor: modeltime.Run{Start: time.Now(), Scale: 1}, Log: slog.New(slog.DiscardHandler)}

	s.Sample(ctx)
	require.Equal(t, int64(1), s.Reads())
	before := len(s.Samples())
	var killed int
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE application_name = 'hbh-sampler-under-test'`).Scan(&killed))
	require.Equal(t, 1, killed, "the sampler's one connection")

	s.Sample(ctx) // on the dead connection
	require.Equal(t, 1, s.Errors(), "the read on the killed connection fails")
	require.Len(t, s.Samples(), before, "a failed read is no sample")
	open := s.Gaps()
	require.Len(t, open, 1, "an open gap while blind")

	s.Sample(ctx) // the pool dials again
	require.Equal(t, int64(2), s.Reads(), "back after reconnecting")
	require.Greater(t, len(s.Samples()), before)
	gaps := s.Gaps()
	require.Len(t, gaps, 1)
	require.True(t, gaps[0].To.After(gaps[0].From))
	require.NotEmpty(t, gaps[0].Reason)
	require.Equal(t, gaps, s.Gaps(), "a closed gap stays as it was")
}
