package testenv

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// recordingTB records what a helper decided instead of acting on it.
type recordingTB struct {
	testing.TB
	skipped, failed string
}

func (f *recordingTB) Helper()                        {}
func (f *recordingTB) Skipf(format string, a ...any)  { f.skipped = fmt.Sprintf(format, a...) }
func (f *recordingTB) Fatalf(format string, a ...any) { f.failed = fmt.Sprintf(format, a...) }

// A twice-saturated run skips a developer's test, saying why, and fails
// CI's: a skip there would let the pipeline go green with nothing judged.
func TestSkipSaturatedFailsOnCI(t *testing.T) {
	why := "fleet could not keep its schedule"
	t.Setenv("CI", "")
	f := &recordingTB{TB: t}
	SkipSaturated(f, why)
	require.Contains(t, f.skipped, why)
	require.Contains(t, f.skipped, "nothing judged")
	require.Empty(t, f.failed)

	t.Setenv("CI", "true")
	f = &recordingTB{TB: t}
	SkipSaturated(f, why)
	require.Empty(t, f.skipped)
	require.Contains(t, f.failed, "CI=true")
	require.Contains(t, f.failed, why)
}
