package reference_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/internal/modeltime"
	"github.com/hbharness/hbharness/reference/antenna"
)

// Reading a service's status answers ProcessingServiceStatusResponse from
// the row and flips a live service whose heartbeat has expired, as
// get_status does (ami/ml/models/processing_service.py:208-228); a service
// that reads live keeps its flag and lists its pipelines.
func TestStatusReadFlipsExpiredServicesLazily(t *testing.T) {
	f := start(t, "view-gate")
	c := modeltime.Clock{Scale: modeltime.Real}
	tests := []struct {
		name     string
		row      row
		live     bool  // server_live and request_successful
		after    *bool // last_seen_live after the read
		pipeline bool  // pipelines_online lists the service's pipeline
	}{
		{"fresh and live", row{age: age(10 * time.Second), live: true}, true, ptr(true), true},
		{"expired but still marked live: flipped", row{age: age(61 * time.Second), live: true}, false, ptr(false), false},
		{"expired and already off: left", row{age: age(10 * time.Minute), live: false}, false, ptr(false), false},
		{"fresh but marked off: not live, not written", row{age: age(5 * time.Second), live: false}, false, ptr(false), false},
		{"never seen, marked live: not live (no last_seen), flipped", row{age: nil, live: true}, false, ptr(false), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id := addService(t, f, c, tc.row)
			_, err := f.env.Pool.Exec(context.Background(), `INSERT INTO ml_processingservice_pipelines(processingservice_id, pipeline_id) VALUES ($1, $2)`,
				id, f.keys[0].PipelineID)
			require.NoError(t, err)
			before := time.Now()
			code, body := f.do(t, "GET", fmt.Sprintf("/api/v2/ml/processing_services/%d/status/", id), token, nil)
			require.Equal(t, http.StatusOK, code, "%v", body)
			require.Equal(t, tc.live, body["server_live"])
			require.Equal(t, tc.live, body["request_successful"])
			require.Equal(t, 0.0, body["latency"])
			require.Nil(t, body["endpoint_url"])
			require.Nil(t, body["error"])
			require.Equal(t, []any{}, body["pipeline_configs"])
			if tc.pipeline {
				require.Equal(t, []any{"pipeline 1"}, body["pipelines_online"])
			} else {
				require.Equal(t, []any{}, body["pipelines_online"])
			}
			ts, err := time.Parse(time.RFC3339Nano, body["timestamp"].(string))
			require.NoError(t, err)
			if tc.row.age == nil {
				require.False(t, ts.Before(before.Add(-time.Second)), "no last_seen: now")
			} else {
				require.WithinDuration(t, before.Add(-c.Wall(*tc.row.age)), ts, time.Second, "last_seen")
			}
			require.Equal(t, tc.after, liveOf(t, f, id))
		})
	}
}

// The status read's refusals: a token is required, an id that is not a
// positive integer is a 400, an unknown one a 404, a push-mode service 501.
func TestStatusReadRefusals(t *testing.T) {
	f := start(t, "view-gate")
	sync := addService(t, f, modeltime.Clock{Scale: modeltime.Real}, row{age: age(time.Second), live: true, sync: true})
	known := f.keys[0].Services[0]
	tests := []struct {
		name, path, tok string
		code            int
	}{
		{"no token", fmt.Sprintf("/api/v2/ml/processing_services/%d/status/", known), "", http.StatusUnauthorized},
		{"wrong token", fmt.Sprintf("/api/v2/ml/processing_services/%d/status/", known), "nope", http.StatusUnauthorized},
		{"without the trailing slash", fmt.Sprintf("/api/v2/ml/processing_services/%d/status", known), token, http.StatusOK},
		{"as the client builds it", antenna.StatusURL("", known), token, http.StatusOK},
		{"a service's own token", antenna.StatusURL("", known), antenna.ServiceToken(known), http.StatusOK},
		{"not a number", "/api/v2/ml/processing_services/abc/status/", token, http.StatusBadRequest},
		{"zero", "/api/v2/ml/processing_services/0/status/", token, http.StatusBadRequest},
		{"negative", "/api/v2/ml/processing_services/-3/status/", token, http.StatusBadRequest},
		{"too large", "/api/v2/ml/processing_services/99999999999999999999/status/", token, http.StatusBadRequest},
		{"unknown", "/api/v2/ml/processing_services/987654/status/", token, http.StatusNotFound},
		{"push-mode service", antenna.StatusURL("", sync), token, http.StatusNotImplemented},
		{"not a GET", antenna.StatusURL("", known), token, http.StatusNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			method := "GET"
			if tc.name == "not a GET" {
				method = "POST"
			}
			code, body := f.do(t, method, tc.path, tc.tok, nil)
			require.Equal(t, tc.code, code, "%v", body)
			if code != http.StatusOK {
				require.NotEmpty(t, body["detail"], "DRF's shape: {\"detail\": ...}")
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }
