package antenna

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestListURL(t *testing.T) {
	tests := []struct {
		name    string
		slugs   []string
		project int64
		want    string
	}{
		{"slugs and project", []string{"moths", "beetles"}, 3,
			"http://h:1/api/v2/jobs?pipeline__slug__in=moths%2Cbeetles&ids_only=1&incomplete_only=1&dispatch_mode=async_api&project_id=3"},
		{"slugs only", []string{"moths"}, 0,
			"http://h:1/api/v2/jobs?pipeline__slug__in=moths&ids_only=1&incomplete_only=1&dispatch_mode=async_api"},
		{"project only", nil, 9,
			"http://h:1/api/v2/jobs?ids_only=1&incomplete_only=1&dispatch_mode=async_api&project_id=9"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, ListURL("http://h:1/", tc.slugs, tc.project))
		})
	}
	require.Equal(t, "http://h:1/p/api/v2/jobs/12/tasks/", TasksURL("http://h:1/p", 12))
	require.Equal(t, "http://h:1/p/api/v2/jobs/12/result/", ResultURL("http://h:1/p/", 12))
}

func TestRequestBodiesAreValidJSON(t *testing.T) {
	var tasks struct {
		BatchSize int `json:"batch_size"`
	}
	require.NoError(t, json.Unmarshal(TasksBody(8), &tasks))
	require.Equal(t, 8, tasks.BatchSize)

	subjects := []string{"plain", `quo"te`, `back\slash`, "tab\tnew\nline\x01", "ünï☃", ""}
	var body struct {
		Results []struct {
			ReplySubject string         `json:"reply_subject"`
			Result       map[string]any `json:"result"`
		} `json:"results"`
	}
	raw := AppendResultBody([]byte("junk"), subjects)[len("junk"):]
	require.NoError(t, json.Unmarshal(raw, &body), "%s", raw)
	require.Len(t, body.Results, len(subjects))
	for i, r := range body.Results {
		require.Equal(t, subjects[i], r.ReplySubject)
		require.Equal(t, map[string]any{"ok": true}, r.Result)
	}
	require.JSONEq(t, `{"results":[]}`, string(AppendResultBody(nil, nil)))
}
