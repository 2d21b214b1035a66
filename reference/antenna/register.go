package antenna

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Pipeline registration: POST /api/v2/projects/{id}/pipelines/, as
// ami-data-companion's `ami worker register` sends it
// (trapdata/antenna/registration.py:16-68 at a33746a2) and Antenna answers
// it (ami/ml/views.py:280-300 ProjectPipelineViewSet.create,
// ami/ml/serializers.py:168-170 PipelineRegistrationSerializer,
// ami/ml/schemas.py:302-362 at 731cc2a2).

// EndpointRegister names the registration in reports and timelines. It is
// not one of Endpoints(): attacks and allowances name the polled endpoints,
// and a worker registers once, before it polls.
const EndpointRegister Endpoint = "register"

// RegisterURL is where a service registers its pipelines for a project.
func RegisterURL(base string, projectID int64) string {
	return strings.TrimSuffix(base, "/") + "/api/v2/projects/" + strconv.FormatInt(projectID, 10) + "/pipelines/"
}

// RegisterRoutes are the ServeMux patterns of the registration, with and
// without the trailing slash, as the other routes.
func RegisterRoutes() []string {
	p := "POST /api/v2/projects/{id}/pipelines"
	return []string{p + "/{$}", p}
}

// RegisterKey names the write one registration makes: a key of its own per
// registration (dispatch), since nothing throttles registrations and no
// gate key's window may be held against them.
func RegisterKey(serviceID int64, dispatchID string) string {
	return fmt.Sprintf("register:service:%d:%s", serviceID, dispatchID)
}

// AlgorithmConfig is one algorithm of a registered pipeline
// (AlgorithmConfigResponse): name and key are required; the rest is
// carried through, not stored by the reference.
type AlgorithmConfig struct {
	Name        string          `json:"name"`
	Key         string          `json:"key"`
	Description *string         `json:"description,omitempty"`
	TaskType    *string         `json:"task_type,omitempty"`
	Version     int             `json:"version"`
	VersionName *string         `json:"version_name,omitempty"`
	URI         *string         `json:"uri,omitempty"`
	CategoryMap json.RawMessage `json:"category_map,omitempty"`
}

// PipelineStage is one configurable stage of a pipeline (PipelineStage).
type PipelineStage struct {
	Key         string          `json:"key"`
	Name        string          `json:"name"`
	Params      json.RawMessage `json:"params,omitempty"`
	Description *string         `json:"description,omitempty"`
}

// PipelineConfig is one pipeline a service offers (PipelineConfigResponse).
type PipelineConfig struct {
	Name        string            `json:"name"`
	Slug        string            `json:"slug"`
	Version     int               `json:"version"`
	Description *string           `json:"description"`
	Algorithms  []AlgorithmConfig `json:"algorithms"`
	Stages      []PipelineStage   `json:"stages"`
}

// RegisterRequest is the registration's body
// (AsyncPipelineRegistrationRequest): the service, by name, and its
// pipelines.
type RegisterRequest struct {
	ProcessingServiceName string           `json:"processing_service_name"`
	Pipelines             []PipelineConfig `json:"pipelines"`
}

// RegisterResponse answers a registration, 201
// (PipelineRegistrationResponse).
type RegisterResponse struct {
	Timestamp         time.Time        `json:"timestamp"`
	Success           bool             `json:"success"`
	Error             *string          `json:"error"`
	Pipelines         []PipelineConfig `json:"pipelines"`
	PipelinesCreated  []string         `json:"pipelines_created"`
	AlgorithmsCreated []string         `json:"algorithms_created"`
}

// RegisterAnswer is what a worker reads of the answer: the client
// validates it as AsyncPipelineRegistrationResponse, whose fields all have
// defaults, so any JSON object is accepted (registration.py:50).
type RegisterAnswer map[string]json.RawMessage

// RegisterBody is the body a worker sends for its pipeline slugs, in the
// shape ami-data-companion builds (trapdata/api/api.py:131-168
// make_pipeline_config_response: name, slug, version 1, its algorithms),
// with the slug as the name and no algorithms or stages, which the
// reference does not store. Built without reflection, as the other bodies.
func RegisterBody(serviceName string, slugs []string) []byte {
	b := []byte(`{"processing_service_name":`)
	b = appendJSONString(b, serviceName)
	b = append(b, `,"pipelines":[`...)
	for i, s := range slugs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"name":`...)
		b = appendJSONString(b, s)
		b = append(b, `,"slug":`...)
		b = appendJSONString(b, s)
		b = append(b, `,"version":1,"description":null,"algorithms":[],"stages":[]}`...)
	}
	return append(b, "]}"...)
}
