package reports

import (
	"fmt"
	"time"

	"github.com/hbharness/hbharness/reports/metric"
	"github.com/hbharness/hbharness/summary"
)

// SuiteLine is one finished run in a line, as a suite prints it while it
// goes on: the run, its verdict (naming what failed), the figures the
// suite table ends with, and how long it took. colour paints the verdict
// (for a terminal).
func SuiteLine(s summary.Summary, colour bool) string {
	wall := time.Duration(s.WallDurationS * float64(time.Second)).Round(100 * time.Millisecond)
	v := suiteVerdict(s)
	if colour {
		v = colourVerdict(v)
	}
	return fmt.Sprintf("%s · %s · %s · %d dispatches · max staleness %s s · p99 %s ms · %s wall",
		s.Scenario, s.RunName(), v, s.DispatchesTotal, metric.Num(s.MaxStalenessS, 2), metric.Num(s.Requests.P99MS, 2), wall)
}
