package runner

import (
	"time"

	"github.com/hbharness/hbharness/harness/history"
	"github.com/hbharness/hbharness/internal/modeltime"
	"github.com/hbharness/hbharness/reference"
)

// viewsOf merges what each replica's web tier recorded of its views, in
// model time.
func viewsOf(refs []*reference.Reference, scale modeltime.Scale) (*history.Views, error) {
	type acc struct {
		count    int64
		sum, max int64 // wall ns
	}
	by := map[string]*acc{}
	out := &history.Views{ByRoute: map[string]history.ViewTimes{}}
	for _, ref := range refs {
		stats, refused, err := ref.Metrics.Views()
		if err != nil {
			return nil, err
		}
		out.Refused += refused
		for route, v := range stats {
			a := by[route]
			if a == nil {
				a = &acc{}
				by[route] = a
			}
			a.count += v.Count
			a.sum += int64(v.Sum)
			a.max = max(a.max, int64(v.Max))
		}
	}
	for route, a := range by {
		if a.count == 0 {
			continue
		}
		out.ByRoute[route] = history.ViewTimes{Count: a.count,
			Mean: scale.Model(time.Duration(a.sum / a.count)), Max: scale.Model(time.Duration(a.max))}
	}
	return out, nil
}
