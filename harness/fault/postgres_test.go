package fault

import (
	"net"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/internal/testdeps"
)

// realPostgres is the machine's shared Postgres (user postgres, trust auth).
const realPostgres = "127.0.0.1:5432"

func TestPostgresThroughProxy(t *testing.T) {
	testdeps.NeedsServices(t)
	conn, err := net.DialTimeout("tcp", realPostgres, time.Second)
	require.NoError(t, err, "this test needs the machine's Postgres at %s", realPostgres)
	_ = conn.Close()
	p := startProxy(t, realPostgres)

	ctx := ctxTimeout(t, 5*time.Second)
	db, err := pgx.Connect(ctx, "postgres://postgres@"+p.Addr()+"/postgres?sslmode=disable")
	require.NoError(t, err, "connect to Postgres through the proxy")
	t.Cleanup(func() { _ = db.Close(ctxTimeout(t, time.Second)) })

	selectOne := func() time.Duration {
		began := time.Now()
		var one int
		require.NoError(t, db.QueryRow(ctx, "SELECT 1").Scan(&one))
		require.Equal(t, 1, one)
		return time.Since(began)
	}
	selectOne()

	p.Set(Latency{Delay: 30 * time.Millisecond})
	took := selectOne()
	assert.GreaterOrEqual(t, took, 60*time.Millisecond, "one round trip, 30 ms each way")
	assert.Less(t, took, time.Second)
}
