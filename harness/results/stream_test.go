package results_test

import (
	"bytes"
	"errors"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/hbharness/hbharness/harness/results"
)

func TestStreamKeepsEveryResultFromManyGoroutines(t *testing.T) {
	cases := []struct {
		name   string
		buffer int
	}{
		{"roomy buffer", 0},
		// A buffer of one makes nearly every Add wait: none may be lost.
		{"buffer of one", 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			s := results.NewStream(&buf, tc.buffer)
			const goroutines, each = 8, 500
			at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
			var wg sync.WaitGroup
			for g := range goroutines {
				wg.Go(func() {
					for i := range each {
						s.Add(&vegeta.Result{Attack: "a", Seq: uint64(g*each + i), Code: 200,
							Timestamp: at.Add(time.Duration(i) * time.Millisecond), Latency: time.Millisecond, Method: "GET", URL: "http://x/"})
					}
				})
			}
			wg.Wait()
			require.NoError(t, s.Close())
			require.NoError(t, s.Close(), "closing twice is harmless")
			s.Add(&vegeta.Result{}) // after Close: dropped, not a panic

			require.EqualValues(t, goroutines*each, s.Added())
			seen := map[uint64]bool{}
			dec := vegeta.NewDecoder(&buf)
			for {
				var r vegeta.Result
				err := dec.Decode(&r)
				if errors.Is(err, io.EOF) {
					break
				}
				require.NoError(t, err)
				require.Equal(t, "GET", r.Method)
				seen[r.Seq] = true
			}
			require.Len(t, seen, goroutines*each)
		})
	}
}

type failing struct{ after int }

func (f *failing) Write(p []byte) (int, error) {
	if f.after -= len(p); f.after < 0 {
		return 0, errors.New("disk full")
	}
	return len(p), nil
}

// A writer that fails is reported at Close, and never blocks the generators.
func TestStreamReportsAWriteError(t *testing.T) {
	s := results.NewStream(&failing{after: 10}, 4)
	for i := range 10_000 {
		s.Add(&vegeta.Result{Seq: uint64(i), Code: 200})
	}
	err := s.Close()
	require.ErrorContains(t, err, "disk full")
	require.ErrorContains(t, err, "of 10000 written")
}
