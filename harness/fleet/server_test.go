package fleet

import (
	"encoding/json"
	"fmt"
	"github.com/hbharness/hbharness/reference/antenna"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// antenna is a minimal target of docs/design.md#wire-protocol for the fleet tests: token check, a finite or
// endless task supply per job, a jobs list filtered by slug, the no-slash list
// form redirected to the slash form as Django does, and optional delays.
type fakeAntenna struct {
	mu     sync.Mutex
	tokens map[string]bool
	jobs   map[int64]*testJob

	tasksDelay  time.Duration
	resultDelay time.Duration
	tasksCode   int // 0 = 200
	resultCode  int // 0 = 200
	// listCode, when set, answers the nth list request (from 1) with its
	// status instead of the list (0 = the list).
	listCode func(n int) int
	// resultCodeAt, when set, overrides resultCode by when the request
	// arrived: a fault that comes and goes (0 = 200).
	resultCodeAt func(arrived time.Time) int

	calls      map[string]int // endpoint → requests that passed auth
	byToken    map[string]map[string]int
	emptyTasks map[int64]int
	served     map[int64]int
	results    int
	badResults []string
	listQuery  []string               // raw queries of slash-form list requests
	tasksAt    map[string][]time.Time // token → when each tasks request arrived
	listAt     map[string][]time.Time // token → when each list request arrived
	// handed counts the lists answered by listRandom: it hands the jobs in
	// turn, which tells the fleet no more than a random pick does, and no
	// run can draw the dry job every time.
	handed     int
	batchSizes map[int]int // batch_size asked for → tasks requests
	// emptyBy counts, per token and job, tasks answers that carried none.
	emptyBy map[string]map[int64]int
	// inflight and maxInflight count, per token and endpoint, requests the
	// handler is serving now and at most at any instant.
	inflight, maxInflight map[string]map[string]int
	// outstanding counts, per token, batches with tasks handed out whose
	// result post has not been answered yet; maxOutstanding its peak.
	outstanding, maxOutstanding map[string]int
	redirects                   int
	unauth                      int
}

type testJob struct {
	slug      string
	remaining int  // < 0: endless
	stale     bool // listed even when it has no tasks left
	issued    map[string]bool
}

func newAntenna(t *testing.T, tokens ...string) (*fakeAntenna, *httptest.Server) {
	a := &fakeAntenna{
		tokens: map[string]bool{}, jobs: map[int64]*testJob{}, calls: map[string]int{},
		byToken: map[string]map[string]int{}, emptyTasks: map[int64]int{}, served: map[int64]int{},
		tasksAt: map[string][]time.Time{}, listAt: map[string][]time.Time{}, batchSizes: map[int]int{},
		emptyBy: map[string]map[int64]int{}, inflight: map[string]map[string]int{}, maxInflight: map[string]map[string]int{},
		outstanding: map[string]int{}, maxOutstanding: map[string]int{},
	}
	for _, tok := range tokens {
		a.tokens[tok] = true
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v2/jobs", a.auth(func(w http.ResponseWriter, r *http.Request, _ string) {
		a.mu.Lock()
		a.redirects++
		a.mu.Unlock()
		http.Redirect(w, r, "/api/v2/jobs/?"+r.URL.RawQuery, http.StatusMovedPermanently)
	}))
	mux.HandleFunc("GET /api/v2/jobs/{$}", a.auth(a.track(antenna.EndpointList, a.list)))
	mux.HandleFunc("POST /api/v2/jobs/{id}/tasks/", a.auth(a.track(antenna.EndpointTasks, a.tasks)))
	mux.HandleFunc("POST /api/v2/jobs/{id}/result/", a.auth(a.track(antenna.EndpointResult, a.result)))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return a, srv
}

func (a *fakeAntenna) addJob(id int64, slug string, tasks int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.jobs[id] = &testJob{slug: slug, remaining: tasks, issued: map[string]bool{}}
}

func (a *fakeAntenna) auth(h func(http.ResponseWriter, *http.Request, string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Token ")
		a.mu.Lock()
		valid := ok && a.tokens[tok]
		if !valid {
			a.unauth++
		}
		a.mu.Unlock()
		if !valid {
			http.Error(w, `{"detail":"Invalid token."}`, http.StatusUnauthorized)
			return
		}
		h(w, r, tok)
	}
}

// track counts the requests of endpoint the handler h is serving at once.
func (a *fakeAntenna) track(endpoint string, h func(http.ResponseWriter, *http.Request, string)) func(http.ResponseWriter, *http.Request, string) {
	return func(w http.ResponseWriter, r *http.Request, tok string) {
		a.mu.Lock()
		if a.inflight[tok] == nil {
			a.inflight[tok], a.maxInflight[tok] = map[string]int{}, map[string]int{}
		}
		a.inflight[tok][endpoint]++
		a.maxInflight[tok][endpoint] = max(a.maxInflight[tok][endpoint], a.inflight[tok][endpoint])
		a.mu.Unlock()
		defer func() {
			a.mu.Lock()
			a.inflight[tok][endpoint]--
			a.mu.Unlock()
		}()
		h(w, r, tok)
	}
}

func (a *fakeAntenna) count(endpoint, tok string) {
	a.calls[endpoint]++
	if a.byToken[tok] == nil {
		a.byToken[tok] = map[string]int{}
	}
	a.byToken[tok][endpoint]++
}

func (a *fakeAntenna) list(w http.ResponseWriter, r *http.Request, tok string) {
	slugs := strings.Split(r.URL.Query().Get("pipeline__slug__in"), ",")
	a.mu.Lock()
	a.count(antenna.EndpointList, tok)
	a.listQuery = append(a.listQuery, r.URL.RawQuery)
	a.listAt[tok] = append(a.listAt[tok], time.Now())
	if a.listCode != nil {
		if code := a.listCode(a.calls[antenna.EndpointList]); code != 0 {
			a.mu.Unlock()
			http.Error(w, `{"detail":"unavailable"}`, code)
			return
		}
	}
	var ids []int64
	for id, j := range a.jobs {
		if (j.remaining != 0 || j.stale) && slices.Contains(slugs, j.slug) {
			ids = append(ids, id)
		}
	}
	a.mu.Unlock()
	slices.Sort(ids)
	var b strings.Builder
	b.WriteString(`{"results":[`)
	for i, id := range ids {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"id":%d,"pipeline_slug":"x"}`, id)
	}
	b.WriteString("]}")
	w.Header().Set("Content-Type", "application/json")
	w.Write([]byte(b.String()))
}

func (a *fakeAntenna) tasks(w http.ResponseWriter, r *http.Request, tok string) {
	arrived := time.Now()
	var body struct {
		BatchSize int `json:"batch_size"`
	}
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.BatchSize < 1 {
		http.Error(w, `{"error":"batch_size must be >= 1"}`, http.StatusBadRequest)
		return
	}
	if a.tasksDelay > 0 {
		time.Sleep(a.tasksDelay)
	}
	a.mu.Lock()
	a.count(antenna.EndpointTasks, tok)
	a.tasksAt[tok] = append(a.tasksAt[tok], arrived)
	a.batchSizes[body.BatchSize]++
	if a.tasksCode != 0 {
		a.mu.Unlock()
		http.Error(w, `{"detail":"unavailable"}`, a.tasksCode)
		return
	}
	j := a.jobs[id]
	if j == nil {
		a.mu.Unlock()
		http.Error(w, `{"error":"no such job"}`, http.StatusNotFound)
		return
	}
	n := body.BatchSize
	if j.remaining >= 0 {
		n = min(n, j.remaining)
		j.remaining -= n
	}
	if n == 0 {
		a.emptyTasks[id]++
		if a.emptyBy[tok] == nil {
			a.emptyBy[tok] = map[int64]int{}
		}
		a.emptyBy[tok][id]++
	} else {
		a.outstanding[tok]++
		a.maxOutstanding[tok] = max(a.maxOutstanding[tok], a.outstanding[tok])
	}
	var b strings.Builder
	b.WriteString(`{"tasks":[`)
	for i := range n {
		a.served[id]++
		subject := fmt.Sprintf("job.%d.\"task\"\\%d", id, a.served[id])
		j.issued[subject] = true
		if i > 0 {
			b.WriteString(",")
		}
		q, _ := json.Marshal(subject)
		fmt.Fprintf(&b, `{"id":%d,"image_id":1,"image_url":"http://x/1.jpg","reply_subject":%s}`, a.served[id], q)
	}
	b.WriteString("]}")
	a.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.Write([]byte(b.String()))
}

func (a *fakeAntenna) result(w http.ResponseWriter, r *http.Request, tok string) {
	arrived := time.Now()
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	var body struct {
		Results []struct {
			ReplySubject string          `json:"reply_subject"`
			Result       json.RawMessage `json:"result"`
		} `json:"results"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		http.Error(w, `{"error":"malformed"}`, http.StatusBadRequest)
		return
	}
	a.mu.Lock()
	a.count(antenna.EndpointResult, tok)
	j := a.jobs[id]
	for _, res := range body.Results {
		if j == nil || !j.issued[res.ReplySubject] || string(res.Result) != `{"ok":true}` {
			a.badResults = append(a.badResults, res.ReplySubject+" "+string(res.Result))
		}
		a.results++
	}
	code := a.resultCode
	if a.resultCodeAt != nil {
		code = a.resultCodeAt(arrived)
	}
	a.mu.Unlock()
	if a.resultDelay > 0 {
		time.Sleep(a.resultDelay)
	}
	// Answered, as far as the worker's pending posts go: its sender frees
	// the slot only once it has read this answer.
	a.mu.Lock()
	a.outstanding[tok]--
	a.mu.Unlock()
	if code != 0 {
		w.WriteHeader(code)
		w.Write([]byte(`{"status":"error"}`))
		return
	}
	fmt.Fprintf(w, `{"status":"accepted","job_id":%d,"results_queued":%d,"tasks":[]}`, id, len(body.Results))
}

func (a *fakeAntenna) snapshot() (calls map[string]int, byToken map[string]map[string]int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	calls = map[string]int{}
	for k, v := range a.calls {
		calls[k] = v
	}
	byToken = map[string]map[string]int{}
	for tok, m := range a.byToken {
		byToken[tok] = map[string]int{}
		for k, v := range m {
			byToken[tok][k] = v
		}
	}
	return calls, byToken
}
