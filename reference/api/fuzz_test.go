package api

import (
	"errors"
	"net/url"
	"testing"
)

// Whatever a client sends, decoding either succeeds with a valid request or
// fails as the client's fault; it never panics.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{`{"batch_size":8}`, `{"batch_size":0}`, `{}`, `[]`, `{"results":[{"reply_subject":"a","result":{}}]}`,
		`{"results":null}`, `{"batch_size":"1"}`, "", "\x00", `{"batch_size":1e400}`} {
		f.Add([]byte(s), "ids_only=1&pipeline__slug__in=a,b&project_id=3")
	}
	f.Fuzz(func(t *testing.T, body []byte, query string) {
		if req, err := DecodeTasks(body); err == nil {
			if req.BatchSize < 1 || req.BatchSize > maxBatch {
				t.Fatalf("accepted batch_size %d", req.BatchSize)
			}
		} else if !errors.Is(err, errBadRequest) {
			t.Fatalf("tasks decode error is not a bad request: %v", err)
		}
		if req, err := DecodeResult(body); err == nil {
			for _, r := range req.Results {
				if r.ReplySubject == "" || len(r.Result) == 0 {
					t.Fatalf("accepted incomplete result %+v", r)
				}
			}
		} else if !errors.Is(err, errBadRequest) {
			t.Fatalf("result decode error is not a bad request: %v", err)
		}
		if q, err := url.ParseQuery(query); err == nil {
			if lq, err := DecodeList(q); err == nil && lq.ProjectID < 0 {
				t.Fatalf("accepted negative project id")
			}
		}
	})
}
