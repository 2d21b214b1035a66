package api

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/reference/antenna"
)

func TestDecodeRegister(t *testing.T) {
	long := strings.Repeat("x", maxNameLen+1)
	many := `{"processing_service_name":"s","pipelines":[` + strings.Repeat(`{"name":"p","slug":"p","version":1},`, maxPipelines) +
		`{"name":"p","slug":"p","version":1}]}`
	tests := []struct {
		name, body string
		want       *antenna.RegisterRequest // nil: a 400 whose message holds bad
		bad        string
	}{
		{name: "name only: no pipelines", body: `{"processing_service_name":"svc"}`,
			want: &antenna.RegisterRequest{ProcessingServiceName: "svc", Pipelines: []antenna.PipelineConfig{}}},
		{name: "name trimmed", body: `{"processing_service_name":"  svc (host)  ","pipelines":[]}`,
			want: &antenna.RegisterRequest{ProcessingServiceName: "svc (host)", Pipelines: []antenna.PipelineConfig{}}},
		{name: "the client's body", body: string(antenna.RegisterBody("svc", []string{"a", "b"})),
			want: &antenna.RegisterRequest{ProcessingServiceName: "svc", Pipelines: []antenna.PipelineConfig{
				{Name: "a", Slug: "a", Version: 1, Algorithms: []antenna.AlgorithmConfig{}, Stages: []antenna.PipelineStage{}},
				{Name: "b", Slug: "b", Version: 1, Algorithms: []antenna.AlgorithmConfig{}, Stages: []antenna.PipelineStage{}},
			}}},
		{name: "algorithm version defaults to 1, unknown fields ignored",
			body: `{"processing_service_name":"s","extra":1,"pipelines":[{"name":"p","slug":"p","version":2,"x":[],
				"algorithms":[{"name":"det","key":"det-1","category_map":{"data":[]}}],"stages":[{"key":"k","name":"n","params":[{"a":1}]}]}]}`,
			want: &antenna.RegisterRequest{ProcessingServiceName: "s", Pipelines: []antenna.PipelineConfig{{Name: "p", Slug: "p", Version: 2,
				Algorithms: []antenna.AlgorithmConfig{{Name: "det", Key: "det-1", Version: 1, CategoryMap: json.RawMessage(`{"data":[]}`)}},
				Stages:     []antenna.PipelineStage{{Key: "k", Name: "n", Params: json.RawMessage(`[{"a":1}]`)}}}}}},
		{name: "empty body", body: ``, bad: "JSON object"},
		{name: "a list", body: `[]`, bad: "JSON object"},
		{name: "malformed", body: `{"processing_service_name":`, bad: "malformed"},
		{name: "trailing data", body: `{"processing_service_name":"s"} {}`, bad: "trailing"},
		{name: "name missing", body: `{"pipelines":[]}`, bad: "processing_service_name is required"},
		{name: "name null", body: `{"processing_service_name":null}`, bad: "processing_service_name is required"},
		{name: "name blank", body: `{"processing_service_name":"   "}`, bad: "may not be blank"},
		{name: "name a number", body: `{"processing_service_name":7}`, bad: "must be a string"},
		{name: "name too long", body: `{"processing_service_name":"` + long + `"}`, bad: "at most 255"},
		{name: "pipelines null", body: `{"processing_service_name":"s","pipelines":null}`, bad: "may not be null"},
		{name: "pipelines an object", body: `{"processing_service_name":"s","pipelines":{}}`, bad: "malformed"},
		{name: "pipeline not an object", body: `{"processing_service_name":"s","pipelines":[1]}`, bad: "pipelines[0] must be an object"},
		{name: "slug missing", body: `{"processing_service_name":"s","pipelines":[{"name":"p","version":1}]}`, bad: "pipelines[0].slug is required"},
		{name: "slug empty", body: `{"processing_service_name":"s","pipelines":[{"name":"p","slug":"","version":1}]}`, bad: "slug may not be empty"},
		{name: "slug too long", body: `{"processing_service_name":"s","pipelines":[{"name":"p","slug":"` + long + `","version":1}]}`, bad: "at most 255"},
		{name: "version missing", body: `{"processing_service_name":"s","pipelines":[{"name":"p","slug":"p"}]}`, bad: "version is required"},
		{name: "version a string", body: `{"processing_service_name":"s","pipelines":[{"name":"p","slug":"p","version":"1"}]}`, bad: "must be an integer"},
		{name: "version a fraction", body: `{"processing_service_name":"s","pipelines":[{"name":"p","slug":"p","version":1.5}]}`, bad: "must be an integer"},
		{name: "version huge", body: `{"processing_service_name":"s","pipelines":[{"name":"p","slug":"p","version":1e400}]}`, bad: "must be an integer"},
		{name: "algorithm without key", body: `{"processing_service_name":"s","pipelines":[{"name":"p","slug":"p","version":1,"algorithms":[{"name":"a"}]}]}`,
			bad: "algorithms[0].key is required"},
		{name: "category map a list", body: `{"processing_service_name":"s","pipelines":[{"name":"p","slug":"p","version":1,"algorithms":[{"name":"a","key":"k","category_map":[]}]}]}`,
			bad: "category_map must be an object"},
		{name: "stage without name", body: `{"processing_service_name":"s","pipelines":[{"name":"p","slug":"p","version":1,"stages":[{"key":"k"}]}]}`,
			bad: "stages[0].name is required"},
		{name: "description a number", body: `{"processing_service_name":"s","pipelines":[{"name":"p","slug":"p","version":1,"description":3}]}`,
			bad: "description must be a string or null"},
		{name: "too many pipelines", body: many, bad: "at most 100"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DecodeRegister([]byte(tc.body))
			if tc.want != nil {
				require.NoError(t, err)
				assert.Equal(t, *tc.want, got)
				return
			}
			require.Error(t, err)
			assert.True(t, errors.Is(err, errBadRequest), "a client's fault: %v", err)
			assert.Contains(t, err.Error(), tc.bad)
		})
	}
}

// Whatever a client sends, a registration either decodes into a request the
// view can store or fails as the client's fault; it never panics.
func FuzzDecodeRegister(f *testing.F) {
	for _, s := range []string{`{"processing_service_name":"s"}`, string(antenna.RegisterBody("s", []string{"a"})),
		`{"processing_service_name":"s","pipelines":null}`, `{"processing_service_name":"s","pipelines":[{"name":"p","slug":"p","version":1,"algorithms":[{"name":"a","key":"k"}]}]}`,
		`{}`, `[]`, "", "\x00", `{"processing_service_name":"s","pipelines":[{"version":1e400}]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := DecodeRegister(body)
		if err != nil {
			if !errors.Is(err, errBadRequest) {
				t.Fatalf("register decode error is not a bad request: %v", err)
			}
			return
		}
		if strings.TrimSpace(req.ProcessingServiceName) == "" || len([]rune(req.ProcessingServiceName)) > maxNameLen {
			t.Fatalf("accepted service name %q", req.ProcessingServiceName)
		}
		if req.Pipelines == nil || len(req.Pipelines) > maxPipelines {
			t.Fatalf("accepted pipelines %v", req.Pipelines)
		}
		for _, p := range req.Pipelines {
			if p.Slug == "" || p.Name == "" || len([]rune(p.Slug)) > maxNameLen || len([]rune(p.Name)) > maxNameLen {
				t.Fatalf("accepted pipeline %+v", p)
			}
		}
		if _, err := json.Marshal(req); err != nil {
			t.Fatalf("an accepted request cannot be echoed back: %v", err)
		}
	})
}
