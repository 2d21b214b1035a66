package antenna

import (
	"net/url"
	"strconv"
	"strings"
)

// JobsPath is the jobs list as the real worker client asks for it: without
// the trailing slash Django's router gives it (the target may answer this
// form directly or redirect to JobsPath+"/").
const JobsPath = "/api/v2/jobs"

// Endpoint names one of the three polled endpoints, as scenarios and reports
// spell it.
type Endpoint = string

const (
	EndpointTasks  Endpoint = "tasks"
	EndpointResult Endpoint = "result"
	EndpointList   Endpoint = "list"
)

// Endpoints lists the endpoint names in report order.
func Endpoints() []Endpoint { return []Endpoint{EndpointTasks, EndpointResult, EndpointList} }

// ListURL is the jobs-list request exactly as the real worker client sends it:
// no trailing slash and the two filters the client always adds. Slugs are
// joined with commas and query-escaped, as the Python requests library does.
func ListURL(base string, slugs []string, projectID int64) string {
	var b strings.Builder
	b.WriteString(strings.TrimSuffix(base, "/"))
	b.WriteString(JobsPath + "?")
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

// ListPageURL is ListURL asking for one page of limit jobs from offset.
// Antenna answers ListURL itself with one random job (the ids_only
// paginator, ami/jobs/views.py:370-378 at 731cc2a2); a limit asks for a real
// page. Its order is still random (views.py:352-353), so a client that must
// see every job asks for one page larger than the count rather than walking
// offsets, which may show a job twice and another never.
func ListPageURL(base string, slugs []string, projectID int64, limit, offset int64) string {
	u := ListURL(base, slugs, projectID) + "&limit=" + strconv.FormatInt(limit, 10)
	if offset > 0 {
		u += "&offset=" + strconv.FormatInt(offset, 10)
	}
	return u
}

// TasksURL is where a worker asks for a batch of its job's tasks.
func TasksURL(base string, jobID int64) string { return jobURL(base, jobID, "tasks") }

// ResultURL is where a worker posts the results of its job's tasks.
func ResultURL(base string, jobID int64) string { return jobURL(base, jobID, "result") }

func jobURL(base string, jobID int64, action string) string {
	return strings.TrimSuffix(base, "/") + JobsPath + "/" + strconv.FormatInt(jobID, 10) + "/" + action + "/"
}

// Route patterns for net/http's ServeMux: each endpoint with and without the
// trailing slash, since the real client leaves it off.
func ListRoutes() []string   { return []string{"GET " + JobsPath + "/{$}", "GET " + JobsPath} }
func TasksRoutes() []string  { return jobRoutes("tasks") }
func ResultRoutes() []string { return jobRoutes("result") }

func jobRoutes(action string) []string {
	p := "POST " + JobsPath + "/{id}/" + action
	return []string{p + "/{$}", p}
}
