package attack

import (
	"net/http"
	"strconv"
	"sync/atomic"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/hbharness/hbharness/harness/fleet"
)

// targeter builds §2 requests, cycling through an attack's targets. Vegeta
// calls next from many workers at once; the counter is the only shared state.
type targeter struct {
	endpoint string
	targets  []prepared
	n        atomic.Uint64
}

// prepared holds what does not change between requests of one target. The
// header map is shared: vegeta copies it into each request it builds.
type prepared struct {
	url    string
	header http.Header
	body   []byte
}

func newTargeter(base string, a Attack) *targeter {
	tr := &targeter{endpoint: a.Endpoint, targets: make([]prepared, len(a.Targets))}
	for i, t := range a.Targets {
		p := prepared{header: http.Header{"Authorization": {"Token " + t.Token}}}
		switch a.Endpoint {
		case fleet.EndpointTasks:
			p.url = fleet.TasksURL(base, t.JobID)
			p.body = fleet.TasksBody(t.BatchSize)
		case fleet.EndpointResult:
			p.url = fleet.ResultURL(base, t.JobID)
		case fleet.EndpointList:
			p.url = fleet.ListURL(base, t.Slugs, t.ProjectID)
		}
		if a.Endpoint != fleet.EndpointList {
			p.header.Set("Content-Type", "application/json")
		}
		tr.targets[i] = p
	}
	return tr
}

func (tr *targeter) next(t *vegeta.Target) error {
	n := tr.n.Add(1) - 1
	p := &tr.targets[n%uint64(len(tr.targets))]
	t.URL = p.url
	t.Header = p.header
	switch tr.endpoint {
	case fleet.EndpointTasks:
		t.Method, t.Body = http.MethodPost, p.body
	case fleet.EndpointResult:
		// One result per request, each with its own reply subject, as a worker
		// posting a batch of one would.
		t.Method = http.MethodPost
		t.Body = fleet.AppendResultBody(nil, []string{"attack-" + strconv.FormatUint(n, 10)})
	default:
		t.Method, t.Body = http.MethodGet, nil
	}
	return nil
}
