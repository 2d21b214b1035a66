package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/hbharness/hbharness/reference/antenna"
	"github.com/hbharness/hbharness/reference/store"
	"github.com/hbharness/hbharness/reference/strategy"
)

// Bounds of a registration body. Antenna's name and slug columns are
// varchar(255) (ProcessingService.name, Pipeline.slug and .name), where a
// longer value is a database error (a 500) upstream and a 400 here.
// maxPipelines is the reference's own: each pipeline costs the view four
// statements, and ami-data-companion registers about ten.
const (
	maxNameLen   = 255
	maxPipelines = 100
)

// register is Antenna's POST /api/v2/projects/{id}/pipelines/
// (ami/ml/views.py:280-300 ProjectPipelineViewSet.create at 731cc2a2), in
// upstream's order: the project (get_active_project in the permission
// check, so an unknown one is a 404 before the body is read), the body
// (PipelineRegistrationSerializer), get_or_create of the service by name,
// the project added to it, create_pipelines, and then mark_seen(live=True)
// of that service: a synchronous write in the view's transaction whatever
// the heartbeat strategy, whose row lock lasts to the view's end. The named
// service is marked, not the token's: upstream reads the name from the body.
func (s *Server) register(w http.ResponseWriter, r *http.Request, v *view) {
	ctx := r.Context()
	project, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		// Upstream hands the path segment to Project.objects.get(id=...),
		// whose ValueError is a 500; a malformed id is the client's fault.
		s.fail(w, v, badRequest("project id must be an integer, got %.40q", r.PathValue("id")))
		return
	}
	// get_active_project runs twice (the permission check, then create):
	// two cachable reads of the project (ami/base/views.py:72-96).
	v.read(ctx, "project:"+strconv.FormatInt(project, 10), store.TableProject)
	ok, err := v.st.ProjectExists(ctx, project)
	if err == nil && !ok {
		err = fmt.Errorf("project %d: %w", project, store.ErrNotFound)
	}
	if err != nil {
		s.fail(w, v, err)
		return
	}
	var req antenna.RegisterRequest
	if err := decodeBody(r, func(b []byte) (err error) { req, err = DecodeRegister(b); return err }); err != nil {
		s.fail(w, v, err)
		return
	}
	v.read(ctx, "project:"+strconv.FormatInt(project, 10), store.TableProject)
	specs := make([]store.PipelineSpec, len(req.Pipelines))
	for i, p := range req.Pipelines {
		specs[i] = store.PipelineSpec{Name: p.Name, Slug: p.Slug}
	}
	done, err := v.st.Register(ctx, req.ProcessingServiceName, project, specs)
	if err == nil {
		err = s.markRegistered(ctx, v, done.ServiceID)
	}
	if err != nil {
		s.fail(w, v, err)
		return
	}
	created := done.PipelinesCreated
	if created == nil {
		created = []string{}
	}
	writeJSON(w, http.StatusCreated, antenna.RegisterResponse{
		Timestamp: s.clock.Now(), Success: true, Pipelines: req.Pipelines,
		PipelinesCreated: created, AlgorithmsCreated: []string{},
	})
}

// markRegistered is the registration's mark_seen, reported through the
// strategy's events as every heartbeat write is (strategy.Registrar).
func (s *Server) markRegistered(ctx context.Context, v *view, service int64) error {
	reg, ok := s.strategy.(strategy.Registrar)
	if !ok {
		return fmt.Errorf("strategy %s cannot mark a registration seen", s.strategy.Name())
	}
	var db store.Heartbeats // a nil *Store in the interface would not read as nil
	if v.st != nil {
		db = v.st
	}
	return reg.MarkRegistered(ctx, db, service)
}

// DecodeRegister parses and validates a registration body: a
// processing_service_name that is not blank (DRF's CharField trims it), and
// pipelines (default none), each with a name, a slug and an integer
// version, its algorithms with a name and a key, its stages with a key and
// a name. Fields the reference does not know are ignored, as pydantic and
// DRF ignore them. Stricter than pydantic 1 in one way: numbers and strings
// are not coerced into each other.
func DecodeRegister(b []byte) (antenna.RegisterRequest, error) {
	var raw struct {
		Name      json.RawMessage    `json:"processing_service_name"`
		Pipelines *[]json.RawMessage `json:"pipelines"`
	}
	if err := decodeObject(b, &raw); err != nil {
		return antenna.RegisterRequest{}, err
	}
	var req antenna.RegisterRequest
	name, err := requiredString(raw.Name, "processing_service_name")
	if err != nil {
		return req, err
	}
	req.ProcessingServiceName = strings.TrimSpace(name)
	if req.ProcessingServiceName == "" {
		return req, badRequest("processing_service_name may not be blank")
	}
	if n := utf8.RuneCountInString(req.ProcessingServiceName); n > maxNameLen {
		return req, badRequest("processing_service_name is %d characters, at most %d", n, maxNameLen)
	}
	req.Pipelines = []antenna.PipelineConfig{}
	if raw.Pipelines == nil {
		// Absent is the default (none); null is not: DRF refuses it.
		if pipelinesNull(b) {
			return req, badRequest("pipelines may not be null")
		}
		return req, nil
	}
	if len(*raw.Pipelines) > maxPipelines {
		return req, badRequest("%d pipelines, at most %d in one registration", len(*raw.Pipelines), maxPipelines)
	}
	for i, p := range *raw.Pipelines {
		pc, err := decodePipeline(p, fmt.Sprintf("pipelines[%d]", i))
		if err != nil {
			return req, err
		}
		req.Pipelines = append(req.Pipelines, pc)
	}
	return req, nil
}

// pipelinesNull tells a body whose pipelines is null from one without
// pipelines (both decode to a nil pointer).
func pipelinesNull(b []byte) bool {
	var probe map[string]json.RawMessage
	if json.Unmarshal(b, &probe) != nil {
		return false
	}
	v, ok := probe["pipelines"]
	return ok && bytes.Equal(bytes.TrimSpace(v), []byte("null"))
}

func decodePipeline(b json.RawMessage, at string) (antenna.PipelineConfig, error) {
	var raw struct {
		Name        json.RawMessage    `json:"name"`
		Slug        json.RawMessage    `json:"slug"`
		Version     json.RawMessage    `json:"version"`
		Description json.RawMessage    `json:"description"`
		Algorithms  *[]json.RawMessage `json:"algorithms"`
		Stages      *[]json.RawMessage `json:"stages"`
	}
	var pc antenna.PipelineConfig
	if err := decodeField(b, &raw, at); err != nil {
		return pc, err
	}
	var err error
	if pc.Name, err = boundedString(raw.Name, at+".name"); err != nil {
		return pc, err
	}
	if pc.Slug, err = boundedString(raw.Slug, at+".slug"); err != nil {
		return pc, err
	}
	if pc.Version, err = requiredInt(raw.Version, at+".version"); err != nil {
		return pc, err
	}
	if pc.Description, err = optionalString(raw.Description, at+".description"); err != nil {
		return pc, err
	}
	pc.Algorithms = []antenna.AlgorithmConfig{}
	if raw.Algorithms != nil {
		for i, a := range *raw.Algorithms {
			alg, err := decodeAlgorithm(a, fmt.Sprintf("%s.algorithms[%d]", at, i))
			if err != nil {
				return pc, err
			}
			pc.Algorithms = append(pc.Algorithms, alg)
		}
	}
	pc.Stages = []antenna.PipelineStage{}
	if raw.Stages != nil {
		for i, st := range *raw.Stages {
			stage, err := decodeStage(st, fmt.Sprintf("%s.stages[%d]", at, i))
			if err != nil {
				return pc, err
			}
			pc.Stages = append(pc.Stages, stage)
		}
	}
	return pc, nil
}

func decodeAlgorithm(b json.RawMessage, at string) (antenna.AlgorithmConfig, error) {
	var raw struct {
		Name        json.RawMessage `json:"name"`
		Key         json.RawMessage `json:"key"`
		Description json.RawMessage `json:"description"`
		TaskType    json.RawMessage `json:"task_type"`
		Version     json.RawMessage `json:"version"`
		VersionName json.RawMessage `json:"version_name"`
		URI         json.RawMessage `json:"uri"`
		CategoryMap json.RawMessage `json:"category_map"`
	}
	alg := antenna.AlgorithmConfig{Version: 1} // AlgorithmConfigResponse.version defaults to 1
	if err := decodeField(b, &raw, at); err != nil {
		return alg, err
	}
	var err error
	if alg.Name, err = requiredString(raw.Name, at+".name"); err != nil {
		return alg, err
	}
	if alg.Key, err = requiredString(raw.Key, at+".key"); err != nil {
		return alg, err
	}
	for _, f := range []struct {
		raw  json.RawMessage
		dst  **string
		name string
	}{{raw.Description, &alg.Description, "description"}, {raw.TaskType, &alg.TaskType, "task_type"},
		{raw.VersionName, &alg.VersionName, "version_name"}, {raw.URI, &alg.URI, "uri"}} {
		if *f.dst, err = optionalString(f.raw, at+"."+f.name); err != nil {
			return alg, err
		}
	}
	if len(raw.Version) > 0 {
		if alg.Version, err = requiredInt(raw.Version, at+".version"); err != nil {
			return alg, err
		}
	}
	if len(raw.CategoryMap) > 0 && !isNull(raw.CategoryMap) {
		if t := bytes.TrimSpace(raw.CategoryMap); len(t) == 0 || t[0] != '{' {
			return alg, badRequest("%s.category_map must be an object or null", at)
		}
		alg.CategoryMap = raw.CategoryMap
	}
	return alg, nil
}

func decodeStage(b json.RawMessage, at string) (antenna.PipelineStage, error) {
	var raw struct {
		Key         json.RawMessage    `json:"key"`
		Name        json.RawMessage    `json:"name"`
		Params      *[]json.RawMessage `json:"params"`
		Description json.RawMessage    `json:"description"`
	}
	var st antenna.PipelineStage
	if err := decodeField(b, &raw, at); err != nil {
		return st, err
	}
	var err error
	if st.Key, err = requiredString(raw.Key, at+".key"); err != nil {
		return st, err
	}
	if st.Name, err = requiredString(raw.Name, at+".name"); err != nil {
		return st, err
	}
	if st.Description, err = optionalString(raw.Description, at+".description"); err != nil {
		return st, err
	}
	if raw.Params != nil {
		params, err := json.Marshal(*raw.Params)
		if err != nil {
			return st, badRequest("%s.params: %v", at, err)
		}
		st.Params = params
	}
	return st, nil
}

// decodeField decodes one nested object of the body.
func decodeField(b json.RawMessage, v any, at string) error {
	if t := bytes.TrimSpace(b); len(t) == 0 || t[0] != '{' {
		return badRequest("%s must be an object", at)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return badRequest("%s: %v", at, err)
	}
	return nil
}

func isNull(raw json.RawMessage) bool { return bytes.Equal(bytes.TrimSpace(raw), []byte("null")) }

func requiredString(raw json.RawMessage, at string) (string, error) {
	if len(raw) == 0 || isNull(raw) {
		return "", badRequest("%s is required", at)
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", badRequest("%s must be a string", at)
	}
	return s, nil
}

// boundedString is a required string the reference stores: not empty and
// within its column.
func boundedString(raw json.RawMessage, at string) (string, error) {
	s, err := requiredString(raw, at)
	if err != nil {
		return "", err
	}
	if s == "" {
		return "", badRequest("%s may not be empty", at)
	}
	if n := utf8.RuneCountInString(s); n > maxNameLen {
		return "", badRequest("%s is %d characters, at most %d", at, n, maxNameLen)
	}
	return s, nil
}

func optionalString(raw json.RawMessage, at string) (*string, error) {
	if len(raw) == 0 || isNull(raw) {
		return nil, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, badRequest("%s must be a string or null", at)
	}
	return &s, nil
}

func requiredInt(raw json.RawMessage, at string) (int, error) {
	if len(raw) == 0 || isNull(raw) {
		return 0, badRequest("%s is required", at)
	}
	n, err := strconv.ParseInt(string(bytes.TrimSpace(raw)), 10, 32)
	if err != nil {
		return 0, badRequest("%s must be an integer, got %.40s", at, raw)
	}
	return int(n), nil
}
