package api

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/hbharness/hbharness/reference/antenna"
	"github.com/hbharness/hbharness/reference/store"
)

// status answers GET /api/v2/ml/processing_services/{id}/status/ as
// ProcessingServiceViewSet.status does (ami/ml/views.py:211-217):
// ProcessingService.objects.get(pk=pk).get_status(). For an async service
// (no endpoint URL) get_status (ami/ml/models/processing_service.py:208-228)
// reads liveness from the row, with the web process's clock:
//
//	is_live = last_seen and last_seen_live and now - last_seen < PROCESSING_SERVICE_LAST_SEEN_MAX
//
// and, when that is false while last_seen_live is still true, saves
// last_seen_live = False: reading a service's status flips it lazily, ahead
// of the periodic check. The save is by primary key and unconditional, as
// Django's save(update_fields=...) is, in the request's transaction
// (ATOMIC_REQUESTS). Pipelines are listed only for a live service.
//
// Where the reference answers otherwise, on purpose: an unknown id is a 404
// and an id that is not a number a 400 (upstream's objects.get raises
// DoesNotExist or ValueError, which DRF turns into a 500), and the token is
// required (upstream's IsActiveStaffOrReadOnly, config/settings/base.py:504,
// lets anyone read). A push-mode (sync) service, which get_status answers by
// calling its /readyz, is not modelled: 501.
func (s *Server) status(w http.ResponseWriter, r *http.Request, v *view) {
	ctx := r.Context()
	raw := r.PathValue("id")
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("processing service id must be a positive integer, got %q", raw))
		return
	}
	// ProcessingService.objects.get(pk=pk): a cachable read.
	v.read(ctx, "processingservice:"+raw, store.TableService)
	svc, err := v.st.GetService(ctx, id)
	if err != nil {
		s.fail(w, v, err) // 404 for ErrNotFound, else a 500
		return
	}
	if svc.EndpointURL != nil {
		writeError(w, http.StatusNotImplemented, "push-mode (sync) processing services are not modelled: their status is a call to their /readyz")
		return
	}
	now := s.clock.Now()
	live := svc.LastSeen != nil && svc.Live() && now.Sub(*svc.LastSeen) < s.clock.Wall(s.offlineAfter)
	if !live && svc.Live() {
		// Heartbeat has expired — mark stale (processing_service.py:215-218).
		if err := v.st.SetServiceLive(ctx, id, false); err != nil {
			s.fail(w, v, err)
			return
		}
	}
	online := []string{}
	if live {
		v.read(ctx, "processingservice:"+raw+":pipelines", store.TableService, store.TablePipeline)
		if online, err = v.st.ServicePipelineNames(ctx, id); err != nil {
			s.fail(w, v, err)
			return
		}
	}
	ts := now
	if svc.LastSeen != nil {
		ts = *svc.LastSeen
	}
	writeJSON(w, http.StatusOK, antenna.ServiceStatus{
		Timestamp:         ts.UTC().Format(time.RFC3339Nano),
		RequestSuccessful: live,
		PipelineConfigs:   []any{},
		ServerLive:        &live,
		PipelinesOnline:   online,
		Latency:           0,
	})
}
