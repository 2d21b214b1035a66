package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"

	"github.com/hbharness/hbharness/reference/antenna"
)

// maxBody bounds what a request may send; Antenna's results are small JSON.
const maxBody = 1 << 20

// maxBatch bounds batch_size so a single request cannot ask for a job's
// whole supply in one allocation.
const maxBatch = 1000

// errBadRequest marks decoding failures that are the client's fault.
var errBadRequest = errors.New("bad request")

func badRequest(format string, a ...any) error {
	return fmt.Errorf("%w: %s", errBadRequest, fmt.Sprintf(format, a...))
}

func readBody(r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxBody+1))
	if err != nil {
		return nil, badRequest("could not read the body: %v", err)
	}
	if len(b) > maxBody {
		return nil, badRequest("body larger than %d bytes", maxBody)
	}
	return b, nil
}

func decodeObject(b []byte, v any) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		return badRequest("body must be a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(v); err != nil {
		return badRequest("malformed JSON: %v", err)
	}
	if dec.More() {
		return badRequest("trailing data after the JSON object")
	}
	return nil
}

// DecodeTasks parses and validates a /tasks/ body.
func DecodeTasks(b []byte) (antenna.TasksRequest, error) {
	var raw struct {
		BatchSize json.RawMessage `json:"batch_size"`
	}
	if err := decodeObject(b, &raw); err != nil {
		return antenna.TasksRequest{}, err
	}
	if len(raw.BatchSize) == 0 || string(raw.BatchSize) == "null" {
		return antenna.TasksRequest{}, badRequest("batch_size is required")
	}
	// A JSON string that looks like a number is still a string: DRF's
	// IntegerField would coerce it, but the real client never sends one.
	n, err := strconv.Atoi(string(raw.BatchSize))
	if err != nil {
		return antenna.TasksRequest{}, badRequest("batch_size must be an integer, got %.40s", raw.BatchSize)
	}
	if n < 1 || n > maxBatch {
		return antenna.TasksRequest{}, badRequest("batch_size must be between 1 and %d, got %d", maxBatch, n)
	}
	return antenna.TasksRequest{BatchSize: n}, nil
}

// DecodeResult parses and validates a /result/ body.
func DecodeResult(b []byte) (antenna.ResultRequest, error) {
	var req struct {
		Results *[]antenna.ResultItem `json:"results"`
	}
	if err := decodeObject(b, &req); err != nil {
		return antenna.ResultRequest{}, err
	}
	if req.Results == nil {
		return antenna.ResultRequest{}, badRequest("results is required (a list)")
	}
	for i, r := range *req.Results {
		if strings.TrimSpace(r.ReplySubject) == "" {
			return antenna.ResultRequest{}, badRequest("results[%d].reply_subject is required", i)
		}
		if len(r.Result) == 0 || string(r.Result) == "null" {
			return antenna.ResultRequest{}, badRequest("results[%d].result is required", i)
		}
	}
	return antenna.ResultRequest{Results: *req.Results}, nil
}

// ListQuery is the jobs list's query string.
type ListQuery struct {
	IDsOnly bool
	// SlugsGiven says pipeline__slug__in had a value; Slugs are its
	// comma-separated slugs, stripped, blanks dropped. A value of only
	// commas gives no slugs, and then no heartbeat at all (views.py:405-408).
	SlugsGiven   bool
	Slugs        []string
	ProjectID    int64
	DispatchMode string
	// Page is the page of jobs asked for.
	Page listPage
}

// DecodeList parses the jobs list's query string in the order the view
// reads it (ami/jobs/views.py:391-410 at 731cc2a2): ids_only and the slugs,
// which never fail and decide the heartbeat; then project_id, then the
// filters. Whatever it could read is returned with the first error, so
// that the heartbeat the view sends before validating the queryset is sent
// here too: a bad dispatch_mode still heartbeats, then answers 400. A
// repeated parameter counts by its last value, as QueryDict reads it.
func DecodeList(q url.Values) (ListQuery, error) {
	lq := ListQuery{IDsOnly: urlBool(q, "ids_only")}
	if raw := lastParam(q, "pipeline__slug__in"); raw != "" {
		lq.SlugsGiven = true
		for _, s := range strings.Split(raw, ",") {
			if s = strings.TrimSpace(s); s != "" {
				lq.Slugs = append(lq.Slugs, s)
			}
		}
	}
	lq.Page = pageOf(q, lq.IDsOnly)
	if v := lastParam(q, "project_id"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id < 1 {
			return lq, badRequest("project_id must be a positive integer, got %q", v)
		}
		lq.ProjectID = id
	}
	switch m := lastParam(q, "dispatch_mode"); m {
	case "", "async_api", "sync_api", "internal":
		lq.DispatchMode = m
	default:
		return lq, badRequest("dispatch_mode must be one of async_api, sync_api, internal, got %q", m)
	}
	return lq, nil
}

// urlBool is url_boolean_param (ami/utils/fields.py:5-23 at 731cc2a2): absent
// is false; present without a value is true; any other value is cleaned by
// Django's forms.BooleanField, for which "false" and "0" (in any case) are
// false and everything else is true. It never fails: ids_only=maybe is true.
func urlBool(q url.Values, name string) bool {
	vs, ok := q[name]
	if !ok || len(vs) == 0 {
		return false
	}
	switch v := strings.ToLower(vs[len(vs)-1]); v {
	case "":
		return true
	case "false", "0":
		return false
	}
	return true
}

// parseJobID reads the {id} path segment.
func parseJobID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id < 1 {
		return 0, badRequest("job id must be a positive integer, got %q", s)
	}
	return id, nil
}
