package observe

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/internal/provision"
	"github.com/hbharness/hbharness/internal/testdeps"
)

// On loopback the database shares this machine's clock: the offset is ~0,
// within a small uncertainty that is half a round trip.
func TestClockOffsetOnLoopback(t *testing.T) {
	testdeps.NeedsServices(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pool, err := pgxpool.New(ctx, provision.FromEnv().Database)
	require.NoError(t, err)
	defer pool.Close()

	offset, unc, err := ClockOffset(ctx, pool)
	require.NoError(t, err, "the shared PostgreSQL (DATABASE_URL or 127.0.0.1:5432) must be running")
	t.Logf("offset %s ± %s", offset, unc)
	require.Positive(t, unc)
	require.Less(t, unc, 250*time.Millisecond, "a loopback round trip should take well under half a second, even on a loaded machine")
	// Same clock: |offset| is bounded by the uncertainty, plus the
	// microsecond resolution of clock_timestamp().
	require.LessOrEqual(t, offset.Abs(), unc+time.Millisecond)
}
