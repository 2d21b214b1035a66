package strategy

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/reference/contract"
)

// The contract names the strategies; this package builds each of them and
// no other.
func TestEveryContractStrategyIsBuilt(t *testing.T) {
	var built []string
	for name := range registry() {
		built = append(built, name)
	}
	slices.Sort(built)
	require.Equal(t, contract.Strategies(), built)
	_, err := New("no-such-strategy", Deps{})
	require.ErrorContains(t, err, `unknown strategy "no-such-strategy"`)
}
