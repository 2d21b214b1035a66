package scenarios

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hbharness/hbharness/internal/modeltime"
)

// WithOverrides applies command-line overrides; "" and a zero scale keep the
// file's values. Check the strategy first with CheckOverrides; a scale comes
// already checked, as a modeltime.Scale.
func (s *Spec) WithOverrides(strategy string, timeScale modeltime.Scale) {
	if strategy != "" {
		s.Strategy = strategy
	}
	if timeScale != 0 {
		s.TimeScale = timeScale
	}
}

// CheckOverrides validates a command-line strategy by the rule of the file
// field it replaces; "" means "no override" and always passes.
func CheckOverrides(strategy string, opt Options) error {
	if strategy != "" && !slices.Contains(opt.Strategies, strategy) {
		return fmt.Errorf("bad override: strategy %q is not known (known: %s)", strategy, strings.Join(opt.Strategies, ", "))
	}
	return nil
}
