package attack

import (
	"math"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/hbharness/hbharness/internal/modeltime"
)

// schedule is an attack's offered load in wall time: r0 hits/s at the start,
// changing by slope hits/s every second. It builds vegeta's pacer and answers,
// for any hit, when that pacer meant it to go out.
type schedule struct {
	r0, slope float64
	linear    bool
}

func newSchedule(scale modeltime.Scale, a Attack) schedule {
	// The pacer's interval is whole nanoseconds; use the rate it really runs at.
	interval := time.Duration(math.Round(1e9 / scale.PerWall(a.RatePerModelSecond)))
	s := schedule{r0: 1e9 / float64(interval)}
	if a.RateToPerModelSecond > 0 {
		s.linear = true
		s.slope = (scale.PerWall(a.RateToPerModelSecond) - s.r0) / scale.Wall(a.Duration).Seconds()
	}
	return s
}

func (s schedule) interval() time.Duration { return time.Duration(math.Round(1e9 / s.r0)) }

func (s schedule) pacer() vegeta.Pacer {
	start := vegeta.ConstantPacer{Freq: 1, Per: s.interval()}
	if s.linear {
		return vegeta.LinearPacer{StartAt: start, Slope: s.slope}
	}
	return start
}

// hits is how many hits the schedule asks for in the first t of the attack.
func (s schedule) hits(t time.Duration) float64 {
	x := max(t.Seconds(), 0)
	return s.slope*x*x/2 + s.r0*x
}

// due is when (from the attack's start) vegeta's pacer releases hit k
// (0-based): the constant pacer waits until k+1 hits are owed, the linear pacer
// does the same except that it fires its first hit at once.
func (s schedule) due(k uint64) time.Duration {
	if s.linear && k == 0 {
		return 0
	}
	n := float64(k + 1)
	if s.slope == 0 {
		return time.Duration(n / s.r0 * 1e9)
	}
	// Solve slope/2·x² + r0·x = n in the form that stays exact as slope → 0.
	disc := s.r0*s.r0 + 2*s.slope*n
	if disc < 0 {
		// A falling ramp never reaches n hits; nothing that late was ever due.
		return time.Duration(math.MaxInt64)
	}
	return time.Duration(2 * n / (s.r0 + math.Sqrt(disc)) * 1e9)
}
