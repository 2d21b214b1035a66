package attack

import (
	"fmt"
	"strings"
	"time"

	"github.com/hbharness/hbharness/harness/history"
	"github.com/hbharness/hbharness/harness/latency"
)

// Report is what a set of attacks did.
type Report struct {
	Requests latency.RequestStats // every attack together
	Attacks  []Stats              // in Config.Attacks order
	// Timeline is every hit of every attack by the model instant the pacer
	// meant it to go out, Config.TimelineEvery at a time, under its attack's
	// endpoint; TimelineRecorder holds the same counts and histograms, for
	// merging exactly with the fleet's (latency.Timeline.Merge) or
	// summarising a span (Span).
	Timeline         []history.RequestWindow
	TimelineRecorder *latency.Timeline
	Interrupted      bool
}

// Stats is one attack's outcome. Rates are averages over the time it ran.
type Stats struct {
	Name, Endpoint string
	Requests       latency.RequestStats
	// Lag is how late hits went out against the pacer's schedule; Dropped
	// counts hits the schedule asked for that were never sent.
	Lag  latency.LagStats
	Hits uint64

	RequestedPerWallSecond, AchievedPerWallSecond   float64
	RequestedPerModelSecond, AchievedPerModelSecond float64
	WallDuration                                    time.Duration

	// Saturated is true when the generator did not offer the load asked of
	// it, so the run measured the generator rather than the target (the
	// fleet's word too); Reason says why.
	Saturated bool
	Reason    string
}

func (s Stats) judge(tolerance time.Duration) (bool, string) {
	var why []string
	if s.RequestedPerWallSecond > 0 && s.AchievedPerWallSecond < minRateRatio*s.RequestedPerWallSecond {
		why = append(why, fmt.Sprintf("sent %.1f/s of the %.1f/s requested (wall; %.0f%% < %.0f%%)",
			s.AchievedPerWallSecond, s.RequestedPerWallSecond,
			100*s.AchievedPerWallSecond/s.RequestedPerWallSecond, 100*minRateRatio))
	}
	if s.Lag.P99 > tolerance {
		why = append(why, fmt.Sprintf("p99 send lag %v exceeds %v (%d of %d hits late)",
			s.Lag.P99, tolerance, s.Lag.Late, s.Lag.Sends))
	}
	if len(why) == 0 {
		return false, ""
	}
	return true, fmt.Sprintf("attack %q saturated: %s. Raise max workers, lower the rate or raise time_scale",
		s.Name, strings.Join(why, "; "))
}

// Saturated reports whether any attack could not keep its schedule, with
// every reason.
func (r *Report) Saturated() (bool, string) {
	var why []string
	for _, s := range r.Attacks {
		if s.Saturated {
			why = append(why, s.Reason)
		}
	}
	return len(why) > 0, strings.Join(why, "\n")
}
