package verify

import (
	"fmt"

	"github.com/hbharness/hbharness/harness/history"
)

// Unusable says why a run tested nothing about its target, or "" when it
// did: every request refused or unanswered, or a sampler that read nothing.
// Such a run is an environment problem (exit 2), whatever its verdicts say.
func Unusable(h history.History) string {
	r := h.Requests
	switch {
	case r.Total > 0 && r.OK == 0 && r.Status4xx == r.Total:
		return fmt.Sprintf("every one of %d requests answered 4xx%s: is --token right?", r.Total, statusHint(h))
	case r.Total > 0 && r.OK == 0 && r.Transport == r.Total:
		return fmt.Sprintf("none of %d requests got an answer: is the target up, and --target right?", r.Total)
	case h.SamplerReads == 0 && h.SamplerErrors > 0:
		return fmt.Sprintf("the sampler read nothing (%d reads failed): is the observed database reachable?", h.SamplerErrors)
	case h.SamplerReads == 0:
		return "the sampler read nothing"
	}
	return ""
}

// statusHint names the endpoints the 4xx came from.
func statusHint(h history.History) string {
	var eps []string
	for _, ep := range sortedKeys(h.Requests.ByEndpoint) {
		if h.Requests.ByEndpoint[ep].Status4xx > 0 {
			eps = append(eps, ep)
		}
	}
	if len(eps) == 0 {
		return ""
	}
	return fmt.Sprintf(" (on %v)", eps)
}
