package scenarios

import (
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/faults"

	"github.com/hbharness/hbharness/reference/settings"
)

// designDoc is the repository's design, relative to this package's folder.
const designDoc = "../docs/design.md"

// designExample is what the example of docs/design.md#scenario-files means,
// every default spelled out.
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

// readDesign returns docs/design.md. The design is part of the repository:
// a checkout without it is broken, so this fails rather than skips.
func readDesign(t *testing.T) string {
	t.Helper()
	text, err := os.ReadFile(designDoc)
	require.NoError(t, err, "the design must be in the repository at docs/design.md")
	return string(text)
}

// designSection returns the body of the H2 section with the given heading,
// up to the next H2.
func designSection(t *testing.T, doc, heading string) string {
	t.Helper()
	_, body, ok := strings.Cut(doc, "\n## "+heading+"\n")
	require.True(t, ok, "docs/design.md has no section %q", "## "+heading)
	body, _, _ = strings.Cut(body, "\n## ")
	return body
}

// TestDesignDocExample keeps testdata/design-example.yaml and the design's
// own example the same scenario.
func TestDesignDocExample(t *testing.T) {
	section := designSection(t, readDesign(t), "Scenario files")
	m := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindStringSubmatch(section)
	require.NotNil(t, m, "docs/design.md#scenario-files has no YAML example")
	spec, err := Parse([]byte(m[1]), designDoc, vocab())
	require.NoError(t, err)
	require.Equal(t, designExample(designDoc), spec)
}

// TestDesignNamesEveryTopLevelField: the design's scenario format names
// every top-level field the parser accepts.
func TestDesignNamesEveryTopLevelField(t *testing.T) {
	section := designSection(t, readDesign(t), "Scenario files")
	for _, f := range topFields() {
		require.Regexp(t, "(?m)(^"+f+":|`"+f+":?`)", section, "docs/design.md#scenario-files does not name the field %s", f)
	}
}

// designSection must find its section and nothing past it, or the tests
// over the real design could pass on an empty one. (The invariant and
// strategy tables are held against the registries in docs/design_test.go.)
func TestDesignSection(t *testing.T) {
	doc := "# T\n\n## A\nalpha\n\n## B\nbeta\n"
	require.Equal(t, "alpha\n", designSection(t, doc, "A"))
	require.Equal(t, "beta\n", designSection(t, doc, "B"))
}
