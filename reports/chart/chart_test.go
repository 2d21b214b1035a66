package chart

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTicks(t *testing.T) {
	tests := []struct {
		name string
		got  []float64
		want []float64
	}{
		{"nice", NiceTicks(0, 95, 6), []float64{0, 20, 40, 60, 80}},
		{"nice small", NiceTicks(0, 1.1, 6), []float64{0, 0.5, 1}},
		{"nice fine", NiceTicks(0, 1.1, 7), []float64{0, 0.2, 0.4, 0.6, 0.8, 1}},
		{"empty range", NiceTicks(3, 3, 6), []float64{3}},
		{"time", TimeTicks(0, 600, 12), []float64{0, 60, 120, 180, 240, 300, 360, 420, 480, 540, 600}},
		{"time short", TimeTicks(0, 100, 6), []float64{0, 30, 60, 90}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Len(t, tt.got, len(tt.want))
			for i := range tt.want {
				assert.InDelta(t, tt.want[i], tt.got[i], 1e-9)
			}
		})
	}
}
