package verify

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// An extent's total counts overlapping parts once and leaves out the
// gaps between them, so that a violation that came and went is not
// stretched over its quiet stretches.
func TestExtentSize(t *testing.T) {
	s := time.Second
	cases := []struct {
		name            string
		spans           [][2]time.Duration
		from, to, total float64
	}{
		{"nothing", nil, 0, 0, 0},
		{"one instant", [][2]time.Duration{{5 * s, 5 * s}}, 5, 5, 0},
		{"overlapping parts count once", [][2]time.Duration{{10 * s, 20 * s}, {15 * s, 25 * s}, {12 * s, 13 * s}}, 10, 25, 15},
		{"a gap is left out", [][2]time.Duration{{70 * s, 80 * s}, {10 * s, 20 * s}}, 10, 80, 20},
		{"touching parts join", [][2]time.Duration{{0, 10 * s}, {10 * s, 30 * s}}, 0, 30, 30},
		{"a part inside another", [][2]time.Duration{{0, 60 * s}, {10 * s, 20 * s}, {70 * s, 71 * s}}, 0, 71, 61},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var e extent
			for _, sp := range tc.spans {
				e.add(sp[0], sp[1])
			}
			x := e.size(95, 60, "s", "max", 3, 10, "samples")
			assert.Equal(t, tc.from, x.FromS, "from")
			assert.Equal(t, tc.to, x.ToS, "to")
			assert.Equal(t, tc.total, x.TotalS, "total")
			assert.Equal(t, 95.0, x.Worst)
			assert.Equal(t, 3, x.Count)
		})
	}
}
