package history_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/harness/history"
)

func TestUnion(t *testing.T) {
	iv := func(a, b int) history.Interval {
		return history.Interval{From: time.Duration(a) * time.Second, To: time.Duration(b) * time.Second}
	}
	cases := []struct {
		name string
		in   []history.Interval
		want []history.Interval
	}{
		{"none", nil, nil},
		{"overlapping, touching and apart", []history.Interval{iv(20, 25), iv(0, 5), iv(4, 10), iv(25, 30)}, []history.Interval{iv(0, 10), iv(20, 30)}},
		{"contained", []history.Interval{iv(0, 10), iv(2, 3)}, []history.Interval{iv(0, 10)}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { require.Equal(t, tc.want, history.Union(tc.in)) })
	}
}
