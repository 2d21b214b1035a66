package antenna

import (
	"encoding/json"
	"strconv"
)

// TasksRequest is the body of POST tasks: {"batch_size": N}, N ≥ 1.
type TasksRequest struct {
	BatchSize int `json:"batch_size"`
}

// Task is one task handed to a worker.
type Task struct {
	ID           string `json:"id"`
	ImageID      int64  `json:"image_id"`
	ImageURL     string `json:"image_url"`
	ReplySubject string `json:"reply_subject"`
}

// TasksResponse answers POST tasks; an empty list means the job has no more
// work for now (or is not active).
type TasksResponse struct {
	Tasks []Task `json:"tasks"`
}

// ResultItem is one entry of POST result.
type ResultItem struct {
	ReplySubject string          `json:"reply_subject"`
	Result       json.RawMessage `json:"result"`
}

// ResultRequest is the body of POST result.
type ResultRequest struct {
	Results []ResultItem `json:"results"`
}

// ResultAck is one queued result in the answer to POST result.
type ResultAck struct {
	ReplySubject string `json:"reply_subject"`
	Status       string `json:"status"`
}

// ResultResponse answers POST result: 200 with status "accepted", or 503 with
// status "error" when a result could not be queued.
type ResultResponse struct {
	Status        string      `json:"status"`
	JobID         int64       `json:"job_id"`
	ResultsQueued int         `json:"results_queued"`
	Tasks         []ResultAck `json:"tasks,omitempty"`
	Detail        string      `json:"detail,omitempty"`
}

// ListedJob is one job in the answer to the jobs list with ids_only=1.
type ListedJob struct {
	ID           int64  `json:"id"`
	PipelineSlug string `json:"pipeline_slug"`
}

// ListResponse answers the jobs list: one page of DRF's
// LimitOffsetPagination (rest_framework/pagination.py get_paginated_response,
// 3.14.0): how many jobs the query matches in all, the links to the pages
// either side (null at an end) and this page's jobs.
type ListResponse struct {
	Count    int64       `json:"count"`
	Next     *string     `json:"next"`
	Previous *string     `json:"previous"`
	Results  []ListedJob `json:"results"`
}

// TasksBody is the body of a tasks request, built without reflection: the
// fleet sends one per poll.
func TasksBody(batchSize int) []byte {
	return append(strconv.AppendInt([]byte(`{"batch_size":`), int64(batchSize), 10), '}')
}

// AppendResultBody appends the result request body for the given reply subjects
// to dst: {"results":[{"reply_subject":S,"result":{"ok":true}},...]}.
func AppendResultBody(dst []byte, replySubjects []string) []byte {
	dst = append(dst, `{"results":[`...)
	for i, s := range replySubjects {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"reply_subject":`...)
		dst = appendJSONString(dst, s)
		dst = append(dst, `,"result":{"ok":true}}`...)
	}
	return append(dst, "]}"...)
}

// appendJSONString quotes s as a JSON string. Subjects come from a decoded JSON
// response, so they are valid UTF-8; only quotes, backslashes and control
// characters need escaping.
func appendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}

// TasksAnswer is what a worker reads of a tasks answer, and ListAnswer of a
// list answer: only the fields it acts on, so a target that adds or retypes
// the others still speaks the protocol. A nil slice after decoding means the
// field was missing or null: not an answer of docs/design.md#wire-protocol.
type (
	TasksAnswer struct {
		Tasks []struct {
			ReplySubject string `json:"reply_subject"`
		} `json:"tasks"`
	}
	ListAnswer struct {
		// Count and Next say whether the page holds every matching job;
		// nil when the target left them out.
		Count   *int64  `json:"count"`
		Next    *string `json:"next"`
		Results []struct {
			ID           int64  `json:"id"`
			PipelineSlug string `json:"pipeline_slug"`
		} `json:"results"`
	}
	ResultAnswer struct {
		Status *string `json:"status"`
	}
)
