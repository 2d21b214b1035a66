package fleet

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/hbharness/hbharness/reference/antenna"
)

// errMalformed marks a 2xx answer whose body was not what the protocol
// says: the summary counts it as malformed, not as a success, and so does
// the result's Error for whoever reads the results file.
var errMalformed = errors.New("malformed answer: a 2xx whose body is not the protocol's shape")

// resultNames are the vegeta attack names of one worker's requests, one
// per endpoint, built once so that a request costs no string building:
// `vegeta plot` draws one series per name.
type resultNames struct{ tasks, result, list, register string }

func newResultNames(group string) resultNames {
	prefix := "fleet:" + group + "/"
	return resultNames{tasks: prefix + antenna.EndpointTasks, result: prefix + antenna.EndpointResult, list: prefix + antenna.EndpointList,
		register: prefix + antenna.EndpointRegister}
}

func (n resultNames) of(endpoint string) string {
	switch endpoint {
	case antenna.EndpointTasks:
		return n.tasks
	case antenna.EndpointResult:
		return n.result
	case antenna.EndpointRegister:
		return n.register
	default:
		return n.list
	}
}

// emit counts one finished request for the live display and hands it to
// the results sink, if any, as vegeta
// records its own: stamped with the instant it was meant to go out and
// timed from that instant, as the summary times it, so a generator that
// fell behind shows in the latencies instead of hiding the target's
// slowness. A request that got no answer (status 0) is timed to its
// failure; the summary leaves those out of its percentiles.
func (w *worker) emit(endpoint, method, url string, intended time.Duration, ended time.Time, status, out, in int, err error) {
	w.rec.live.Request()
	sink := w.rec.results
	if sink == nil {
		return
	}
	due := w.run.At(intended)
	r := vegeta.Result{
		Attack:    w.names.of(endpoint),
		Seq:       w.rec.seq.Add(1) - 1,
		Code:      uint16(status),
		Timestamp: due,
		Latency:   max(ended.Sub(due), 0),
		BytesOut:  uint64(out),
		BytesIn:   uint64(in),
		Method:    method,
		URL:       url,
	}
	switch {
	case err != nil:
		r.Error = err.Error()
	case status < 200 || status >= 300:
		// Named by its status line, as vegeta's attacker names a failed
		// answer; a 3xx too, since the fleet follows no redirect and the
		// summary counts one as an error.
		r.Error = strconv.Itoa(status) + " " + http.StatusText(status)
	}
	sink.Add(&r)
}
