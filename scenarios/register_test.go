package scenarios

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// register: true makes each of a group's workers register its service's
// pipelines before it polls; anything but a YAML true or false is refused
// where it is written.
func TestFleetRegister(t *testing.T) {
	tests := []struct {
		name  string
		entry string
		want  bool   // every worker of group a registers
		bad   string // the problem's message; "" when it parses
	}{
		{name: "absent", entry: `{name: a, workers: 2}`, want: false},
		{name: "true", entry: `{name: a, workers: 2, register: true}`, want: true},
		{name: "false", entry: `{name: a, workers: 2, register: false}`, want: false},
		{name: "with an adc group", entry: `{name: a, workers: 2, behaviour: adc, register: true}`, want: true},
		{name: "quoted", entry: `{name: a, workers: 2, register: "true"}`, bad: `expected true or false, got the text "true"`},
		{name: "yes", entry: `{name: a, workers: 2, register: yes}`, bad: `expected true or false`},
		{name: "a number", entry: `{name: a, workers: 2, register: 1}`, bad: `expected true or false`},
		{name: "a list", entry: `{name: a, workers: 2, register: [true]}`, bad: `expected true or false`},
		{name: "empty", entry: `{name: a, workers: 2, register: }`, bad: `expected true or false`},
		{name: "misspelt", entry: `{name: a, workers: 2, registers: true}`, bad: `did you mean register?`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			spec, err := Parse(src(`
name: x
duration: 10m
fleet:
  - `+tc.entry+`
  - {name: b, workers: 1}
`), "f.yaml", vocab())
			if tc.bad != "" {
				require.Error(t, err)
				var verr *ValidationError
				require.True(t, errors.As(err, &verr), "error is %T", err)
				require.Len(t, verr.Problems, 1, "one problem: %v", err)
				p := verr.Problems[0]
				require.Equal(t, 4, p.Line)
				require.True(t, strings.HasPrefix(p.Field, "fleet[0].register"), "field %s", p.Field)
				require.Contains(t, p.Msg, tc.bad)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, spec.Fleet[0].Register)
			require.False(t, spec.Fleet[1].Register, "one group's register is not another's")
			plan := spec.Plan(1)
			require.Len(t, plan, 3)
			for _, p := range plan {
				require.Equal(t, p.Group == "a" && tc.want, p.Register, "worker %d of group %s", p.ID, p.Group)
			}
		})
	}
}
