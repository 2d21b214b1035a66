package regression

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/hbharness/hbharness/reports/metric"
)

// DefaultMaxRegression is how much worse, in percent, a checked metric may
// get before --baseline fails the run.
const DefaultMaxRegression = 10.0

// Limits is a parsed --max-regression: a default percentage for every
// checked metric, and percentages per metric, which may also name metrics
// that are not checked by default (p50, errors).
type Limits struct {
	Default   float64
	PerMetric map[string]float64
	// Off names checked metrics not to check (metric=off): p99 on a
	// machine whose latency noise no percentage covers.
	Off map[string]bool
}

// DefaultLimits allows every checked metric DefaultMaxRegression.
func DefaultLimits() Limits { return Limits{Default: DefaultMaxRegression} }

// ParseLimits reads --max-regression: comma-separated, at most one bare
// percentage (the default for every checked metric) and any number of
// metric=percentage or metric=off, e.g. "10%,p99=25%,staleness=5%". The %
// sign is required, so that 0.1 cannot be read as either a tenth or a
// thousandth.
func ParseLimits(s string) (Limits, error) {
	l := DefaultLimits()
	l.PerMetric, l.Off = map[string]float64{}, map[string]bool{}
	defaultSet := false
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, value, named := strings.Cut(part, "=")
		if !named {
			if defaultSet {
				return Limits{}, fmt.Errorf("--max-regression %q: two default percentages (%s); give one, and metric=N%% for the others", s, part)
			}
			p, err := parsePercent(part)
			if err != nil {
				return Limits{}, fmt.Errorf("--max-regression %q: %w", s, err)
			}
			l.Default, defaultSet = p, true
			continue
		}
		name = strings.TrimSpace(name)
		m, err := metric.Named(name)
		if err != nil {
			return Limits{}, fmt.Errorf("--max-regression %q: %w", s, err)
		}
		if m.Worse == metric.Neutral {
			return Limits{}, fmt.Errorf("--max-regression %q: %s is neither better nor worse when higher, so it cannot regress", s, name)
		}
		if _, dup := l.PerMetric[name]; dup || l.Off[name] {
			return Limits{}, fmt.Errorf("--max-regression %q: %s is given twice", s, name)
		}
		if strings.TrimSpace(value) == "off" {
			l.Off[name] = true
			continue
		}
		p, err := parsePercent(strings.TrimSpace(value))
		if err != nil {
			return Limits{}, fmt.Errorf("--max-regression %q: %s: %w", s, name, err)
		}
		l.PerMetric[name] = p
	}
	return l, nil
}

func parsePercent(s string) (float64, error) {
	n, ok := strings.CutSuffix(s, "%")
	if !ok {
		return 0, fmt.Errorf("%q is not a percentage: write it with a %% sign, e.g. 10%%", s)
	}
	p, err := strconv.ParseFloat(strings.TrimSpace(n), 64)
	if err != nil || p < 0 || p != p || p > 1e6 {
		return 0, fmt.Errorf("%q is not a percentage of 0 or more", s)
	}
	return p, nil
}

// Metrics lists what the limits hold against a baseline: the checked
// metrics and any other they name, in report order.
func (l Limits) Metrics() []metric.Metric {
	var out []metric.Metric
	for _, m := range metric.All() {
		if _, named := l.PerMetric[m.Name]; (m.Checked || named) && !l.Off[m.Name] {
			out = append(out, m)
		}
	}
	return out
}

// Percent is the regression allowed for a metric.
func (l Limits) Percent(name string) float64 {
	if p, ok := l.PerMetric[name]; ok {
		return p
	}
	return l.Default
}

// String prints the limits as --max-regression takes them.
func (l Limits) String() string {
	parts := []string{metric.Num(l.Default, 3) + "%"}
	for _, name := range slices.Sorted(maps.Keys(l.PerMetric)) {
		parts = append(parts, name+"="+metric.Num(l.PerMetric[name], 3)+"%")
	}
	for _, name := range slices.Sorted(maps.Keys(l.Off)) {
		parts = append(parts, name+"=off")
	}
	return strings.Join(parts, ",")
}
