package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/harness/runner"
	"github.com/hbharness/hbharness/runfolder"
	"github.com/hbharness/hbharness/scenarios"
)

// Which built-ins a suite picks: a deployment gets the pre-deploy subset
// unless told otherwise; the in-process default is unchanged.
func TestSuiteChoosesItsScenarios(t *testing.T) {
	var all, quick []string
	for _, b := range scenarios.Builtins(runner.ScenarioOptions()) {
		all = append(all, b.Name)
		if b.Quick {
			quick = append(quick, b.Name)
		}
	}
	predeploy := []string{"predeploy-herd", "predeploy-idle", "predeploy-steady"}
	tests := []struct {
		name     string
		choice   suiteChoice
		external bool
		want     []string
		err      string
	}{
		{"in-process default", suiteChoice{}, false, all, ""},
		{"in-process quick", suiteChoice{quick: true}, false, quick, ""},
		{"in-process predeploy", suiteChoice{predeploy: true}, false, predeploy, ""},
		{"target default", suiteChoice{}, true, predeploy, ""},
		{"target predeploy", suiteChoice{predeploy: true}, true, predeploy, ""},
		{"target quick", suiteChoice{quick: true}, true, quick, ""},
		{"target named", suiteChoice{names: "steady, broker-outage"}, true, []string{"steady", "broker-outage"}, ""},
		{"two choices", suiteChoice{quick: true, predeploy: true}, false, nil, "give one of them"},
		{"names and a subset", suiteChoice{names: "steady", predeploy: true}, true, nil, "give one of them"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.choice.scenarios(tt.external)
			if tt.err != "" {
				require.ErrorContains(t, err, tt.err)
				var ue usageError
				require.ErrorAs(t, err, &ue, "exit 2")
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

// Against a deployment, a run that injects faults or expects another
// strategy than the deployment's is skipped, and says why.
func TestSuiteSkipsWhatADeploymentCannotBeGiven(t *testing.T) {
	tests := []struct {
		scenario, strategy string
		want               []string // "" for every variant judged
	}{
		{"predeploy-steady", "", []string{""}},
		{"steady", "", []string{""}},
		{"broker-outage", "", []string{"injects faults (broker-down)"}},
		{"chaos", "", []string{"injects faults (broker-down, broker-slow, db-slow, redis-down, redis-restart, redis-slow)"}},
		{"no-gate", "", []string{"judged as strategy none and the deployment as view-gate"}},
		{"silent-service", "", []string{"", "judged as strategy per-service and the deployment as view-gate"}},
		{"silent-service", "per-service", []string{""}},
		{"db-lock", "", []string{"injects faults (db-lock)", "injects faults (db-lock)"}},
	}
	for _, tt := range tests {
		t.Run(tt.scenario+"/"+tt.strategy, func(t *testing.T) {
			o := overrides{strategy: tt.strategy}
			vs, err := loadVariants(tt.scenario, o)
			require.NoError(t, err)
			require.Len(t, vs, len(tt.want))
			for i, v := range vs {
				why := skipReason(v, deployedStrategy(o))
				if tt.want[i] == "" {
					require.Empty(t, why, v.RunName())
				} else {
					require.Contains(t, why, tt.want[i], v.RunName())
				}
			}
		})
	}
}

// A suite against a deployment where every run chosen must be skipped says
// so for each, in the table and in JUnit, and exits 2: nothing was judged.
// It never connects: the target is not even listening.
func TestSuiteAgainstATargetSkipsFaultScenariosWithANote(t *testing.T) {
	out := t.TempDir()
	code, stdout, stderr := cli(t, nil, "suite", "--scenarios", "broker-outage,no-gate",
		"--target", "http://127.0.0.1:1", "--token", "t", "--observe-db", "postgres://nobody@127.0.0.1:1/none", "--out", out)
	require.Equal(t, 2, code, "stdout: %s\nstderr: %s", stdout, stderr)
	assert.Contains(t, stdout, "suite against http://127.0.0.1:1: 0 run(s) judged, 2 skipped")
	assert.Contains(t, stdout, "broker-outage/view-gate: skipped: it injects faults (broker-down)")
	assert.Contains(t, stdout, "no-gate/none: skipped: this run is judged as strategy none")
	assert.Contains(t, stdout, "target: http://127.0.0.1:1 (external deployment)")
	assert.Contains(t, stdout, "0 passed, 0 failed, 2 skipped")
	assert.Contains(t, stderr, "nothing was judged")
	raw, err := os.ReadFile(filepath.Join(out, runfolder.JUnitFile))
	require.NoError(t, err)
	assert.Equal(t, 2, strings.Count(string(raw), "<skipped message=\"not run: "), string(raw))
	assert.Equal(t, 2, strings.Count(string(raw), `<property name="target" value="http://127.0.0.1:1">`), string(raw))
}

func TestSuiteTargetFlagsAreChecked(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no token", []string{"--target", "http://127.0.0.1:1", "--observe-db", "postgres://x@127.0.0.1/db"}, "--token"},
		{"remote", []string{"--target", "http://192.0.2.1:8000", "--token", "t", "--observe-db", "postgres://x@127.0.0.1/db"}, "--allow-remote"},
		{"slugs alone", []string{"--slugs", "default"}, "give --target, --token and --observe-db too"},
		{"two subsets", []string{"--quick", "--predeploy"}, "give one of them"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := cli(t, nil, append([]string{"suite"}, tt.args...)...)
			require.Equal(t, 2, code, stderr)
			require.Contains(t, stderr, tt.want)
		})
	}
}
