package antenna

import (
	"strconv"
	"strings"
)

// A processing service's status: GET /api/v2/ml/processing_services/{id}/
// status/, the ProcessingServiceViewSet's status action (ami/ml/views.py:
// 211-217, routed as ml/processing_services by config/api_router.py:58 under
// API_ROOT "api/v2/", config/urls.py:12,28, at 731cc2a2). For an async
// service it answers from last_seen, and reading it flips a service whose
// heartbeat has expired to not live (ProcessingService.get_status,
// ami/ml/models/processing_service.py:186-228).

// StatusURL is where a service's status is read.
func StatusURL(base string, serviceID int64) string {
	return strings.TrimSuffix(base, "/") + "/api/v2/ml/processing_services/" + strconv.FormatInt(serviceID, 10) + "/status/"
}

// StatusRoutes are the ServeMux patterns of the status read, with and
// without the trailing slash, as the other routes.
func StatusRoutes() []string {
	p := "GET /api/v2/ml/processing_services/{id}/status"
	return []string{p + "/{$}", p}
}

// ServiceStatus is the body the status read answers: upstream's
// ProcessingServiceStatusResponse (ami/ml/schemas.py:341-353), which DRF
// renders with every field, null ones included.
type ServiceStatus struct {
	Timestamp         string   `json:"timestamp"`
	RequestSuccessful bool     `json:"request_successful"`
	PipelineConfigs   []any    `json:"pipeline_configs"`
	Error             *string  `json:"error"`
	ServerLive        *bool    `json:"server_live"`
	PipelinesOnline   []string `json:"pipelines_online"`
	EndpointURL       *string  `json:"endpoint_url"`
	Latency           float64  `json:"latency"`
}
