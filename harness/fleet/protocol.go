package fleet

import (
	"net/url"
	"strconv"
	"strings"
)

// Endpoint names, as used in Report.PerEndpoint and by open-model attacks.
const (
	EndpointTasks  = "tasks"
	EndpointResult = "result"
	EndpointList   = "list"
)

// ListURL is the jobs-list request exactly as the real worker client sends it:
// no trailing slash (the target may answer or redirect) and the two filters the
// client always adds. Slugs are joined with commas and query-escaped, as the
// Python requests library does.
func ListURL(base string, slugs []string, projectID int64) string {
	var b strings.Builder
	b.WriteString(strings.TrimSuffix(base, "/"))
	b.WriteString("/api/v2/jobs?")
	if len(slugs) > 0 {
		b.WriteString("pipeline__slug__in=")
		b.WriteString(url.QueryEscape(strings.Join(slugs, ",")))
		b.WriteString("&")
	}
	b.WriteString("ids_only=1&incomplete_only=1&dispatch_mode=async_api")
	if projectID != 0 {
		b.WriteString("&project_id=")
		b.WriteString(strconv.FormatInt(projectID, 10))
	}
	return b.String()
}

// TasksURL is where a worker asks for a batch of its job's tasks.
func TasksURL(base string, jobID int64) string {
	return strings.TrimSuffix(base, "/") + "/api/v2/jobs/" + strconv.FormatInt(jobID, 10) + "/tasks/"
}

// ResultURL is where a worker posts the results of its job's tasks.
func ResultURL(base string, jobID int64) string {
	return strings.TrimSuffix(base, "/") + "/api/v2/jobs/" + strconv.FormatInt(jobID, 10) + "/result/"
}

// TasksBody is the body of a tasks request: {"batch_size":N}.
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

// tasksResponse and listResponse keep only what the worker loop needs. A nil
// slice after decoding means the key was missing or null: not a §2 answer.
type tasksResponse struct {
	Tasks []struct {
		ReplySubject string `json:"reply_subject"`
	} `json:"tasks"`
}

type listResponse struct {
	Results []struct {
		ID int64 `json:"id"`
	} `json:"results"`
}
