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

// Labels stacked above the plot each get a line of their own, the plot
// moving down to make room, so that no two can overlap however long.
func TestStackAbove(t *testing.T) {
	tests := []struct {
		name  string
		lines int
		lower float64
	}{
		{"none", 0, 0},
		{"one fits the margin", 1, 0},
		{"three push the plot down two lines", 3, 26},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := New("c", "title", 400, 200)
			var els []El
			for range tt.lines {
				els = append(els, El{Text: "expected: last_seen_never_stale 1m–2m", Class: "finding-label"})
			}
			c.StackAbove(els)
			assert.Equal(t, tt.lower, c.Lower)
			assert.Equal(t, 200+tt.lower, c.Height)
			require.Len(t, c.Above, tt.lines)
			for i := 1; i < len(c.Above); i++ {
				assert.GreaterOrEqual(t, c.Above[i].Y-c.Above[i-1].Y, 13.0, "one line each")
			}
			if len(c.Above) > 0 {
				last := c.Above[len(c.Above)-1]
				assert.Less(t, last.Y, c.Top+c.Lower, "every label is above the plot it moved down")
				assert.Greater(t, c.Above[0].Y, 14.0, "and below the title")
			}
		})
	}
}
