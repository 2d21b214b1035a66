package reports

import (
	"fmt"
	"strings"
	"time"

	"github.com/hbharness/hbharness/harness/history"
	"github.com/hbharness/hbharness/reports/chart"
)

// plotWidth and plotRight are the same for every run plot, so that their
// time axes line up when read one above the other; the right margin holds
// legends.
const (
	plotWidth = 960
	plotRight = 110
)

// plotEvent is one heartbeat event on the time axis.
type plotEvent struct {
	At  time.Duration
	Key string
}

// heartbeatEvents returns the reference's dispatches or, when it could not
// report them (an external target), the database writes the observer saw,
// with the noun that says which.
func heartbeatEvents(h *history.History) ([]plotEvent, string) {
	var out []plotEvent
	if h.HaveDispatches {
		for _, d := range h.Dispatches {
			out = append(out, plotEvent{d.At, d.Key})
		}
		return out, "dispatches"
	}
	for _, w := range h.Writes {
		out = append(out, plotEvent{w.At, w.Key})
	}
	return out, "database writes"
}

// runEnd is the end of the time axis: the run's model duration, stretched to
// anything observed after it (a drain) so that nothing is drawn off the plot.
func runEnd(h *history.History) float64 {
	end := h.Duration
	for _, d := range h.Dispatches {
		end = max(end, d.At)
	}
	for _, w := range h.Writes {
		end = max(end, w.At)
	}
	for _, s := range h.Samples {
		end = max(end, s.At)
	}
	if end <= 0 {
		return 1
	}
	return sec(end)
}

// shadeFaults draws each fault as a band across the whole plot height,
// labelled at its top.
func shadeFaults(c *chart.Chart, faults []history.Fault) {
	for _, f := range faults {
		from, to := sec(f.At), sec(f.At+f.For)
		tip := fmt.Sprintf("%s at %s for %s", f.Kind, timeLabel(from), modelDuration(sec(f.For)))
		c.Rect(from, c.Y0(), to, c.Y1(), "fault", "", tip)
		c.TextPx(c.Px(from)+3, c.Top+11, f.Kind, "start", "fault-label", tip)
	}
}

// shadeWindows shades every other throttle window so that a reader can count
// dispatches per window by eye. Too many windows would only grey the plot.
func shadeWindows(c *chart.Chart, throttle time.Duration, end float64) {
	w := sec(throttle)
	if w <= 0 || end/w > c.PlotW()/4 {
		return
	}
	for from := w; from < end; from += 2 * w {
		c.Rect(from, c.Y0(), min(from+w, end), c.Y1(), "window", "", "")
	}
}

// markEvents marks what the scenario did to its fleet (a fleet stopping,
// crashing, starting late) as a dark dotted line across the plot, named at
// its foot; the tooltip says it whole. Dark, not red or grey: an event is
// neither a violation nor unjudged.
func markEvents(c *chart.Chart, events []history.Event) {
	for _, e := range events {
		x := c.Px(sec(e.At))
		tip := fmt.Sprintf("%s at %s", e.What, timeLabel(sec(e.At)))
		c.LinePx(x, c.Top, x, c.Top+c.PlotH(), "event", "")
		name, _, _ := strings.Cut(e.What, ":")
		c.TextPx(x+3, c.Top+c.PlotH()-4, "▸ "+strings.TrimPrefix(name, "fleet "), "start", "event-label", tip)
	}
}

// eventCaption says what markEvents drew, when it drew anything.
func eventCaption(events []history.Event) string {
	if len(events) == 0 {
		return ""
	}
	return "Dark dotted lines: the scenario's own events (" + events[0].What + "; each line's tooltip names its own). "
}
