package runner

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/harness/fleet"
	"github.com/hbharness/hbharness/reference/contract"
	"github.com/hbharness/hbharness/scenarios"
)

// A worker of a group with register: true registers its own service, by
// name, with its key's pipeline and project; a target that did not say its
// services' names is refused before anything is sent.
func TestWorkersRegistration(t *testing.T) {
	named := contract.Key{PipelineID: 4, ProjectID: 9, Slug: "moths", Services: []int64{11, 12, 13},
		ServiceNames: []string{"fleet 1", "fleet 2", "fleet 3"}, Jobs: []int64{5}}
	unnamed := named
	unnamed.ServiceNames = nil
	tests := []struct {
		name string
		key  contract.Key
		plan []scenarios.WorkerPlan
		want []*fleet.Registration // per worker; nil: none
		err  string
	}{
		{name: "registers its own service", key: named,
			plan: []scenarios.WorkerPlan{{ID: 0, ServiceIndex: 1, Register: true}, {ID: 1, ServiceIndex: 4, Register: true}},
			want: []*fleet.Registration{{ProjectID: 9, ServiceName: "fleet 2", Slugs: []string{"moths"}},
				{ProjectID: 9, ServiceName: "fleet 2", Slugs: []string{"moths"}}}},
		{name: "only the group that registers", key: named,
			plan: []scenarios.WorkerPlan{{ID: 0, ServiceIndex: 0, Register: true}, {ID: 1, ServiceIndex: 2}},
			want: []*fleet.Registration{{ProjectID: 9, ServiceName: "fleet 1", Slugs: []string{"moths"}}, nil}},
		{name: "no names, no registration asked", key: unnamed,
			plan: []scenarios.WorkerPlan{{ID: 0}}, want: []*fleet.Registration{nil}},
		{name: "no names, registration asked", key: unnamed,
			plan: []scenarios.WorkerPlan{{ID: 0, Group: "doomed", Register: true}},
			err:  "fleet group doomed registers (register: true), but target http://ext did not say the names"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for i := range tc.plan {
				tc.plan[i].Behaviour = scenarios.BehaviourActive
			}
			d := &drive{setup: Setup{Name: "http://ext", URLs: []string{"http://ext"}, Keys: []contract.Key{tc.key},
				Token: "shared", ServiceTokens: true}}
			ws, err := d.workers(tc.plan)
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				require.True(t, errors.Is(err, ErrEnvironment), "exit 2, a setup problem")
				return
			}
			require.NoError(t, err)
			require.Len(t, ws, len(tc.want))
			for i, w := range ws {
				require.Equal(t, tc.want[i], w.Register, "worker %d", i)
			}
		})
	}
}
