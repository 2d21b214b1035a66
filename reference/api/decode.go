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
	IDsOnly      bool
	Slugs        []string
	ProjectID    int64
	DispatchMode string
}

// DecodeList parses the jobs list's query string.
func DecodeList(q url.Values) (ListQuery, error) {
	var lq ListQuery
	var err error
	if lq.IDsOnly, err = parseBool(q, "ids_only"); err != nil {
		return lq, err
	}
	if _, err = parseBool(q, "incomplete_only"); err != nil {
		return lq, err
	}
	for _, s := range strings.Split(q.Get("pipeline__slug__in"), ",") {
		if s = strings.TrimSpace(s); s != "" {
			lq.Slugs = append(lq.Slugs, s)
		}
	}
	if v := q.Get("project_id"); v != "" {
		lq.ProjectID, err = strconv.ParseInt(v, 10, 64)
		if err != nil || lq.ProjectID < 1 {
			return lq, badRequest("project_id must be a positive integer, got %q", v)
		}
	}
	switch m := q.Get("dispatch_mode"); m {
	case "", "async_api", "sync_api", "internal":
		lq.DispatchMode = m
	default:
		return lq, badRequest("dispatch_mode must be one of async_api, sync_api, internal, got %q", m)
	}
	return lq, nil
}

func parseBool(q url.Values, name string) (bool, error) {
	switch v := strings.ToLower(q.Get(name)); v {
	case "", "0", "false":
		return false, nil
	case "1", "true":
		return true, nil
	default:
		return false, badRequest("%s must be 1/0 or true/false, got %q", name, v)
	}
}

// parseJobID reads the {id} path segment.
func parseJobID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id < 1 {
		return 0, badRequest("job id must be a positive integer, got %q", s)
	}
	return id, nil
}
