package verify

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hbharness/hbharness/harness/history"
	"github.com/hbharness/hbharness/summary"
)

// checkRequests fails when more requests went wrong than the scenario
// allows: no answer, an unfollowed redirect, a 4xx or 5xx, a 2xx whose body
// is not the shape in docs/design.md#wire-protocol. The allowance is a total, or per endpoint so that a
// scenario can excuse /result's 503s during a broker outage and still hold
// /tasks to none.
func checkRequests(h history.History) judgement {
	r := h.Requests
	ev := summary.Evidence{count("requests", int(r.Total))}
	if r.Total == 0 {
		return inconclusive("no request was sent", ev...)
	}
	var over, overEndpoints []string
	// The worst is the count furthest over its allowance.
	var worstN, worstAllowed int64
	if a := h.AllowedErrors; a.PerEndpoint == nil {
		if r.Errors() > a.Total {
			over = append(over, fmt.Sprintf("%d errors, %d allowed", r.Errors(), a.Total))
			worstN, worstAllowed = r.Errors(), a.Total
		}
	} else {
		for _, ep := range sortedKeys(r.ByEndpoint) {
			c := r.ByEndpoint[ep]
			if allowed := a.PerEndpoint[ep]; c.Errors() > allowed {
				over = append(over, fmt.Sprintf("%s: %d errors (%s), %d allowed", ep, c.Errors(), classes(c), allowed))
				overEndpoints = append(overEndpoints, ep)
				if c.Errors()-allowed > worstN-worstAllowed {
					worstN, worstAllowed = c.Errors(), allowed
				}
			}
		}
	}
	detail := fmt.Sprintf("%d requests, %d errors (%s); %s; p99 %s",
		r.Total, r.Errors(), classes(r.RequestCounts), allowance(h.AllowedErrors), fmtDur(r.P99))
	if len(over) > 0 {
		ext, errs := errorExtent(h, overEndpoints)
		return fail(strings.Join(over, "; ")+" — "+detail, ev...).locate(errorSpan(h, overEndpoints)).
			sized(ext.size(float64(worstN), float64(worstAllowed), "errors", "max", int(errs), int(r.Total), "requests"))
	}
	return pass(detail, ev...)
}

// errorSpan locates the errors that broke the allowance: on the endpoints
// over theirs (every endpoint for a total), from the first timeline window
// that had any to the end of the last. Without a timeline only the
// endpoints are known.
func errorSpan(h history.History, endpoints []string) *summary.Where {
	subject := "every endpoint"
	if len(endpoints) == 1 {
		subject = "endpoint " + endpoints[0]
	} else if len(endpoints) > 1 {
		subject = "endpoints " + strings.Join(endpoints, ", ")
	}
	var from, to time.Duration
	found := false
	for _, w := range h.Requests.Timeline {
		var n int64
		for ep, c := range w.ByEndpoint {
			if len(endpoints) == 0 || slices.Contains(endpoints, ep) {
				n += c.Errors()
			}
		}
		if n == 0 {
			continue
		}
		if !found || w.From < from {
			from = w.From
		}
		to = max(to, w.From+w.Every)
		found = true
	}
	if !found {
		return &summary.Where{Subject: subject}
	}
	return during(subject, from, to)
}

// errorExtent is the request windows that had errors on the endpoints
// (all, when none is named), and how many errors they held.
func errorExtent(h history.History, endpoints []string) (extent, int64) {
	var ext extent
	var errs int64
	for _, w := range h.Requests.Timeline {
		var n int64
		for ep, c := range w.ByEndpoint {
			if len(endpoints) == 0 || slices.Contains(endpoints, ep) {
				n += c.Errors()
			}
		}
		if n > 0 {
			errs += n
			ext.add(w.From, w.From+w.Every)
		}
	}
	if len(h.Requests.Timeline) == 0 {
		errs = h.Requests.Errors()
	}
	return ext, errs
}

// classes names the error classes that occurred, by endpoint when known.
func classes(c history.RequestCounts) string {
	var parts []string
	for _, p := range []struct {
		name string
		n    int64
	}{{"transport", c.Transport}, {"3xx", c.Status3xx}, {"4xx", c.Status4xx}, {"5xx", c.Status5xx},
		{"malformed", c.Malformed}, {"other", c.Other}} {
		if p.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", p.n, p.name))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

func allowance(a history.Allowance) string {
	if a.PerEndpoint == nil {
		return fmt.Sprintf("%d allowed in all", a.Total)
	}
	var parts []string
	for _, ep := range sortedKeys(a.PerEndpoint) {
		parts = append(parts, fmt.Sprintf("%s %d", ep, a.PerEndpoint[ep]))
	}
	return "allowed " + strings.Join(parts, ", ") + ", other endpoints 0"
}
