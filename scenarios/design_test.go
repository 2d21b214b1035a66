package scenarios

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/faults"

	"github.com/hbharness/hbharness/reference/settings"
)

// designExample is what the §7 example of DESIGN.md means, every default spelled out.
func designExample(source string) *Spec {
	// The example writes Antenna's throttle and offline window, and a check
	// every 5 s where Antenna's beat runs it every 5 min.
	s := settings.Default()
	s.CheckerEvery = 5 * time.Second
	return &Spec{
		Name:          "steady",
		Description:   "50 workers poll one job; one (pipeline, project) key.",
		Duration:      10 * time.Minute,
		TimeScale:     0.05,
		Strategy:      "view-gate",
		FailurePolicy: "fail-closed",
		Replicas:      1,
		Settings:      s,
		SampleEvery:   time.Second,
		Fixtures:      Fixtures{Projects: 1, Pipelines: 1, ServicesPerKey: 3, JobsPerKey: 1, TasksPerJob: 0},
		Fleet: []Group{{Name: "adc", Behaviour: "active", Start: "spread", Workers: 50, BatchSize: 8,
			PollEvery: 5 * time.Second, IdleEvery: 5 * time.Second, Jitter: time.Second, StopAt: 10 * time.Minute}},
		Load: []Attack{{Name: "burst", Endpoint: "tasks", Rate: Rate{Per: 2000},
			StartAt: 2 * time.Minute, Duration: time.Minute}},
		Faults: []faults.Fault{{Kind: "broker-down", At: 3 * time.Minute, For: 90 * time.Second, Replica: faults.AllReplicas, Params: &faults.None{}}},
		Expect: map[string]string{},
		Source: source,
	}
}

func TestDesignExample(t *testing.T) {
	data, err := os.ReadFile("testdata/design-example.yaml")
	require.NoError(t, err)
	spec, err := Parse(data, "testdata/design-example.yaml", vocab())
	require.NoError(t, err)
	require.Equal(t, designExample("testdata/design-example.yaml"), spec)
}

// TestDesignDocExample keeps testdata/design-example.yaml honest: when the
// shared design brief sits beside the repository, its §7 example must still
// mean the same scenario.
func TestDesignDocExample(t *testing.T) {
	const doc = "../../shared/DESIGN.md"
	text, err := os.ReadFile(doc)
	if os.IsNotExist(err) {
		t.Skipf("%s is not beside this checkout; testdata/design-example.yaml stands in for it", filepath.Clean(doc))
	}
	require.NoError(t, err)
	m := regexp.MustCompile("(?s)## 7\\..*?```yaml\n(.*?)```").FindSubmatch(text)
	require.NotNil(t, m, "DESIGN.md has no YAML example in §7")
	spec, err := Parse(m[1], doc, vocab())
	require.NoError(t, err)
	require.Equal(t, designExample(doc), spec)
}
