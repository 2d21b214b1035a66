package fleet

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/hbharness/hbharness/reference/antenna"
)

// Registration is what a worker registers before it polls: its service, by
// the name Antenna knows it by, and its pipelines, for one project
// (POST /api/v2/projects/{id}/pipelines/).
type Registration struct {
	ProjectID   int64
	ServiceName string
	Slugs       []string
}

func (r *Registration) validate() error {
	switch {
	case r.ProjectID < 1:
		return fmt.Errorf("registration project id %d: want ≥ 1", r.ProjectID)
	case r.ServiceName == "":
		return fmt.Errorf("registration has no service name: Antenna registers a service by its name")
	}
	return nil
}

// registerTimeout is the real client's (ami-data-companion a33746a2,
// trapdata/antenna/registration.py:43-47: session.post(url, ..., timeout=60)).
// The POST is not retried: its session retries GETs only (trapdata/api/
// utils.py:60-66).
const registerTimeout = 60 * time.Second

// register sends the worker's registration once, at its start, before its
// first poll: what a deployment running `ami worker register` before `ami
// worker` does (trapdata/cli/worker.py:51-82). The send is due at StartAt
// and is accounted as the worker's first scheduled send; a slow answer
// delays the first poll, which then counts as blocked by the target, not
// late. Whatever the outcome, it is recorded as every request is and the
// worker carries on: register_pipelines logs a failed project and goes on
// (registration.py:147-160). A registration is not a poll: it moves no
// poll statistics. It returns false when the worker's run ended first.
func (w *worker) register(ctx, reqCtx context.Context) bool {
	at, ok := w.awaitUntil(ctx, w.spec.StartAt, 0, w.spec.StopAt)
	if !ok {
		return false
	}
	tctx, cancel := context.WithTimeout(reqCtx, w.run.Scale.ClientTimeout(registerTimeout))
	defer cancel()
	_, _, answered := w.exchange(ctx, tctx, &w.resp, &w.rec.register, antenna.EndpointRegister, http.MethodPost,
		w.registerURL, w.registerBody, at, validRegistration)
	w.answeredAt = answered
	return !ended(ctx, answered)
}

// validRegistration says whether a 2xx answer to a registration is what the
// client validates it as: AsyncPipelineRegistrationResponse, whose fields
// all have defaults, so any JSON object (registration.py:50).
func validRegistration(b []byte) bool {
	var resp antenna.RegisterAnswer
	return json.Unmarshal(b, &resp) == nil && resp != nil
}
