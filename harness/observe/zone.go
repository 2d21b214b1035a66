package observe

import (
	"context"
	"fmt"
	"time"
	_ "time/tzdata" // a deployment's zone must load on a machine without zoneinfo

	"github.com/jackc/pgx/v5"
)

// AntennaTimeZone is Antenna's TIME_ZONE (config/settings/base.py:37). With
// USE_TZ = False (base.py:51) Django keeps naive local times of that zone,
// so last_seen holds a New York wall clock: read as UTC, every service of a
// real deployment would look four or five hours stale.
const AntennaTimeZone = "America/New_York"

// LoadZone loads the zone a naive last_seen is local to, with an error
// worded for the flag that names it.
func LoadZone(name string) (*time.Location, error) {
	z, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("time zone %q is not one this machine knows (an IANA name such as %s or UTC): %w", name, AntennaTimeZone, err)
	}
	return z, nil
}

// inZone reads a naive timestamp, which pgx and the test_decoding parser
// return as if it were UTC, as the wall clock of zone z (UTC when nil).
func inZone(t time.Time, z *time.Location) time.Time {
	if z == nil {
		return t
	}
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), z)
}

// queryRower is what lastSeenNaive needs of a pool or a connection.
type queryRower interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// lastSeenNaive asks the catalogue whether ml_processingservice.last_seen
// is a timestamp without time zone (Antenna's) rather than with one (the
// reference's).
func lastSeenNaive(ctx context.Context, db queryRower) (bool, error) {
	var typ string
	err := db.QueryRow(ctx, `SELECT format_type(a.atttypid, a.atttypmod) FROM pg_attribute a
		WHERE a.attrelid = to_regclass('ml_processingservice') AND a.attname = 'last_seen' AND NOT a.attisdropped`).Scan(&typ)
	if err != nil {
		return false, fmt.Errorf("reading the type of ml_processingservice.last_seen: %w", err)
	}
	return typ == "timestamp without time zone" || typ == "timestamp(6) without time zone", nil
}
