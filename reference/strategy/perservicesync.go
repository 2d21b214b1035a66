package strategy

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hbharness/hbharness/reference/contract"
	"github.com/hbharness/hbharness/reference/heartbeat"
	"github.com/hbharness/hbharness/reference/store"
)

// perServiceSync is RolnickLab/antenna PR #1194 (open, head a6dc19a8): a
// service that authenticates as itself (its `Authorization: Api-Key <key>`;
// here its own svc-<id> token) is marked seen by ProcessingService.mark_seen()
// on /tasks and /result, synchronously in the view: no gate, no task, one
// single-row UPDATE per request (ami/jobs/views.py at a6dc19a8: :151-156
// _update_processing_service_heartbeat, :292-298 in tasks(), :337-341 in
// result(); ami/ml/models/processing_service.py at a6dc19a8: :185-206
// mark_seen, self.save(update_fields=[...])). Under ATOMIC_REQUESTS
// (config/settings/base.py:59) that UPDATE runs in the request's
// transaction, so the row lock it takes is held through the NATS reserve
// and the job log lines to the view's end: the workers of one service take
// turns on their own row.
//
// Everything else is main's path, as #1194 merges onto 731cc2a2 (git
// merge-tree: only ami/ml/tests.py conflicts; the merged views.py keeps
// main's helpers): a shared-token /tasks or /result falls back to
// _mark_pipeline_pull_services_seen(job), which on main is the view gate
// and task (views.py:111-137 at 731cc2a2; merged :474-477, :526-529), and the
// jobs list, which #1194 does not touch, keeps main's gated list heartbeat
// for every caller, identified or not (views.py:391-413 at 731cc2a2), so an
// identified worker's list polls still mark every service of its pipelines.
//
// main's docstring plan (views.py:121-125: a heartbeat:service:<id> gate
// with a task) is per-service.
type perServiceSync struct{ Deps }

func newPerServiceSync(d Deps) Strategy { return perServiceSync{d} }

func (perServiceSync) Name() string { return "per-service-sync" }

// errNoRows is Django's answer to a save(update_fields=...) that matched no
// row (django/db/models/base.py, Model._save_table: "Save with
// update_fields did not affect any rows."): the view raises, a 500.
var errNoRows = errors.New("save with update_fields did not affect any rows")

func (s perServiceSync) Heartbeat(ctx context.Context, c Call) error {
	t := contract.IdentifiedOnJobs(c.scoped())
	if t.Kind != heartbeat.KindService {
		if ok, won := s.admit(ctx, t.GateKey()); ok {
			s.enqueue(ctx, c, t, false, won)
		}
		return nil
	}
	// mark_seen stamps last_seen with datetime.now() of the web process.
	now, id := s.Clock.Now(), s.newID()
	start := time.Now()
	rows, err := c.db(s.Deps).MarkServiceSeen(ctx, c.ServiceID, now, store.Tag{DispatchID: id, Key: t.GateKey()})
	if err == nil && rows == 0 {
		err = fmt.Errorf("marking service %d seen: %w", c.ServiceID, errNoRows)
	}
	s.updated(start, err)
	s.wroteInline(t, id, now, rows, err)
	if err != nil {
		// Nothing catches mark_seen's exception in the view: the request
		// fails and its transaction rolls back, as inline's does.
		s.Metrics.Dispatch.WithLabelValues("error").Inc()
		return err
	}
	s.Metrics.Dispatch.WithLabelValues("enqueued").Inc()
	return nil
}
