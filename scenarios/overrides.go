package scenarios

import (
	"fmt"
	"slices"
	"strings"
)

// WithOverrides applies command-line overrides; "" and 0 keep the file's
// values. Check the values first with CheckOverrides: this cannot fail.
func (s *Spec) WithOverrides(strategy string, timeScale float64) {
	if strategy != "" {
		s.Strategy = strategy
	}
	if timeScale != 0 {
		s.TimeScale = timeScale
	}
}

// CheckOverrides validates command-line overrides by the same rules as the
// file fields they replace; "" and 0 mean "no override" and always pass.
func CheckOverrides(strategy string, timeScale float64, opt Options) error {
	var msgs []string
	if strategy != "" && len(opt.Strategies) > 0 && !slices.Contains(opt.Strategies, strategy) {
		msgs = append(msgs, fmt.Sprintf("strategy %q is not known (known: %s)", strategy, strings.Join(opt.Strategies, ", ")))
	}
	if timeScale != 0 && !(timeScale > 0 && timeScale <= 1) {
		msgs = append(msgs, fmt.Sprintf("time scale %g is out of range: give a number in (0, 1], e.g. 0.05", timeScale))
	}
	if len(msgs) > 0 {
		return fmt.Errorf("bad override: %s", strings.Join(msgs, "; "))
	}
	return nil
}
