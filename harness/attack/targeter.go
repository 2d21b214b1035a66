package attack

import (
	"net/http"
	"strconv"
	"sync/atomic"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/hbharness/hbharness/reference/antenna"
)

// targeter builds requests of docs/design.md#wire-protocol, cycling through an attack's targets. Vegeta
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
		p := prepared{header: http.Header{"Authorization": {antenna.Authorization(t.Token)}}}
		switch a.Endpoint {
		case antenna.EndpointTasks:
			p.url = antenna.TasksURL(base, t.JobID)
			p.body = antenna.TasksBody(t.BatchSize)
		case antenna.EndpointResult:
			p.url = antenna.ResultURL(base, t.JobID)
		case antenna.EndpointList:
			p.url = antenna.ListURL(base, t.Slugs, t.ProjectID)
		}
		if a.Endpoint != antenna.EndpointList {
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
	case antenna.EndpointTasks:
		t.Method, t.Body = http.MethodPost, p.body
	case antenna.EndpointResult:
		// One result per request, each with its own reply subject, as a worker
		// posting a batch of one would.
		t.Method = http.MethodPost
		t.Body = antenna.AppendResultBody(nil, []string{"attack-" + strconv.FormatUint(n, 10)})
	default:
		t.Method, t.Body = http.MethodGet, nil
	}
	return nil
}
