package wait

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestWait(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name string
		ctx  context.Context
		d    time.Duration
		want bool
	}{
		{"elapses", context.Background(), time.Millisecond, true},
		{"already past", context.Background(), -time.Second, true},
		{"cancelled before", cancelled, time.Hour, false},
		{"cancelled and past", cancelled, -time.Second, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, For(tc.ctx, tc.d))
			require.Equal(t, tc.want, Until(tc.ctx, time.Now().Add(tc.d)))
		})
	}
}

// A context that ends mid-wait ends the wait.
func TestWaitEndsWithTheContext(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	t.Cleanup(cancel)
	start := time.Now()
	require.False(t, For(ctx, time.Hour))
	require.Less(t, time.Since(start), time.Minute)
}
