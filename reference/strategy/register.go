package strategy

import (
	"context"
	"fmt"
	"time"

	"github.com/hbharness/hbharness/reference/antenna"
	"github.com/hbharness/hbharness/reference/store"
)

// Registrar marks a service seen the way pipeline registration does: once,
// synchronously, in the register view's transaction, whatever the heartbeat
// strategy (ami/ml/views.py:298 at 731cc2a2, processing_service.mark_seen
// (live=True) after create_pipelines; processing_service.py:177-184). Every
// strategy is one: the method is Deps's.
type Registrar interface {
	MarkRegistered(ctx context.Context, db store.Heartbeats, service int64) error
}

// MarkRegistered is mark_seen for a registration. Its write is reported as
// an in-view write is (wroteInline: a dispatch and its outcome, the write
// tagged with it), so the audit reconciles it, under a key of its own
// (antenna.RegisterKey): registrations are not throttled, and no gate key's
// window holds them. A nil db writes on the replica's own store.
func (d Deps) MarkRegistered(ctx context.Context, db store.Heartbeats, service int64) error {
	if db == nil {
		db = d.Store
	}
	now, id := d.Clock.Now(), d.newID()
	key := antenna.RegisterKey(service, id)
	start := time.Now()
	rows, err := db.MarkServiceSeen(ctx, service, now, store.Tag{DispatchID: id, Key: key})
	if err == nil && rows == 0 {
		// The view found or created the row in this transaction; an async
		// service row that vanished since is Django's update_fields error.
		err = fmt.Errorf("marking registered service %d seen: %w", service, errNoRows)
	}
	d.updated(start, err)
	d.wroteInlineAs(key, id, now, rows, err)
	return err
}
