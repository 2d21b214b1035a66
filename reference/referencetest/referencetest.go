// Package referencetest writes to an Antenna-shaped database as the
// reference does, for the tests of observers that watch those writes
// (harness/observe): a heartbeat UPDATE tagged with its dispatch, and the
// offline check's flip. Tests only: the layering test lets no other code
// of the harness import it.
package referencetest

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hbharness/hbharness/reference/heartbeat"
	"github.com/hbharness/hbharness/reference/store"
)

// Writer makes the reference's writes on one pool.
type Writer struct{ st *store.Store }

// NewWriter writes on pool; the caller owns and closes it.
func NewWriter(pool *pgxpool.Pool) Writer { return Writer{st: store.New(pool)} }

// MarkSeen is the heartbeat UPDATE of every async service of t, last_seen =
// now, tagged with dispatch and key (both "" for an untagged write), in a
// transaction of its own. It returns the rows written.
func (w Writer) MarkSeen(ctx context.Context, t heartbeat.Target, now time.Time, dispatch, key string) (int64, error) {
	return w.st.MarkSeen(ctx, t, now, store.Tag{DispatchID: dispatch, Key: key})
}

// MarkOffline is the offline check: every async service whose last_seen is
// older than window at now flips last_seen_live to false, last_seen
// untouched. It returns the rows flipped.
func (w Writer) MarkOffline(ctx context.Context, now time.Time, window time.Duration) (int64, error) {
	return w.st.MarkOffline(ctx, now, window)
}
