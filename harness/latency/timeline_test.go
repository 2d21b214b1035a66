package latency

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/harness/history"
)

// totals is the per-window request count, all endpoints together.
func totals(ws []history.RequestWindow) []int64 {
	out := make([]int64, len(ws))
	for i, w := range ws {
		for _, c := range w.ByEndpoint {
			out[i] += c.Total
		}
	}
	return out
}

func TestTimelineBucketsByIntendedInstantAndClamps(t *testing.T) {
	tests := []struct {
		name   string
		at     time.Duration
		window int
	}{
		{"start", 0, 0},
		{"negative counts in the first", -5 * time.Second, 0},
		{"just before the first edge", time.Second - 1, 0},
		{"on an edge belongs to the later window", time.Second, 1},
		{"middle", 4500 * time.Millisecond, 4},
		{"last window", 9999 * time.Millisecond, 9},
		{"end itself counts in the last", 10 * time.Second, 9},
		{"past the end counts in the last", time.Hour, 9},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tl := NewTimeline(time.Second, 10*time.Second)
			tl.Observe(tc.at, "tasks", 200, time.Millisecond)
			ws := tl.Windows()
			require.Len(t, ws, tc.window+1, "windows run from 0 to the last one used")
			want := make([]int64, tc.window+1)
			want[tc.window] = 1
			require.Equal(t, want, totals(ws))
			for i, w := range ws {
				require.Equal(t, time.Duration(i)*time.Second, w.From)
				require.Equal(t, time.Second, w.Every)
				require.NotNil(t, w.ByEndpoint, "an empty window still has a map")
			}
		})
	}
}

func TestTimelineShapes(t *testing.T) {
	tests := []struct {
		name       string
		every, end time.Duration
		wantEvery  time.Duration
		wantN      int
	}{
		{"ten windows", time.Second, 10 * time.Second, time.Second, 10},
		{"ragged end gets a last partial window", time.Second, 10500 * time.Millisecond, time.Second, 11},
		{"zero end has one window", time.Second, 0, time.Second, 1},
		{"negative end has one window", time.Second, -time.Second, time.Second, 1},
		{"zero width is the default", 0, 10 * time.Second, DefaultTimelineEvery, 10},
		{"ten minutes at 1 s", time.Second, 10 * time.Minute, time.Second, 600},
		{"too fine doubles until it fits", time.Millisecond, time.Hour, 256 * time.Millisecond, 14063},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tl := NewTimeline(tc.every, tc.end)
			require.Equal(t, tc.wantEvery, tl.Every())
			require.Len(t, tl.buckets, tc.wantN)
			require.LessOrEqual(t, len(tl.buckets), MaxTimelineBuckets)
		})
	}
	require.Empty(t, NewTimeline(time.Second, time.Minute).Windows(), "nothing recorded, no windows")
}

// A window costs its histogram plus 8 endpoints × 7 classes of counters, and
// only once something lands in it: ten minutes at 1 s is under 12 MB at most.
func TestTimelineBucketMemory(t *testing.T) {
	size := unsafe.Sizeof(timelineBucket{})
	t.Logf("timeline bucket: %d bytes (histogram %d)", size, unsafe.Sizeof(Histogram{}))
	require.Less(t, size, uintptr(20<<10))
	require.Less(t, 600*size, uintptr(12<<20))

	tl := NewTimeline(time.Second, time.Hour)
	tl.Observe(30*time.Minute, "list", 200, time.Millisecond)
	used := 0
	for i := range tl.buckets {
		if tl.buckets[i].Load() != nil {
			used++
		}
	}
	require.Equal(t, 1, used, "untouched windows are not allocated")
}

// Every status lands in the class RequestRecorder puts it in.
func TestTimelineClassesMatchRequestRecorder(t *testing.T) {
	statuses := []int{100, 101, 199, 200, 201, 204, 299, 300, 301, 302, 399, 400, 401, 404, 499, 500, 502, 503, 599, 600, 0, -1, 999}
	for _, status := range statuses {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			var r RequestRecorder
			tl := NewTimeline(time.Second, time.Second)
			r.Observe(status, time.Millisecond)
			tl.Observe(0, "tasks", status, time.Millisecond)
			s := r.Stats()
			require.Equal(t, history.RequestCounts{Total: int64(s.Total), OK: int64(s.OK), Status3xx: int64(s.Status3xx),
				Status4xx: int64(s.Status4xx), Status5xx: int64(s.Status5xx), Other: int64(s.Other)},
				tl.Windows()[0].ByEndpoint["tasks"])
		})
	}
}

func TestTimelineCountsClassesPerEndpointAndWindow(t *testing.T) {
	tl := NewTimeline(time.Second, 5*time.Second)
	tl.Observe(100*time.Millisecond, "tasks", 200, 10*time.Millisecond)
	tl.Observe(200*time.Millisecond, "tasks", 201, 30*time.Millisecond)
	tl.Observe(300*time.Millisecond, "tasks", 200, 3*time.Millisecond)
	tl.Malformed(300*time.Millisecond, "tasks") // that 200's body was not the protocol's
	tl.Observe(400*time.Millisecond, "result", 503, 2*time.Millisecond)
	tl.Observe(500*time.Millisecond, "list", 302, time.Millisecond)
	tl.Observe(600*time.Millisecond, "list", 101, time.Millisecond)
	tl.Failed(700*time.Millisecond, "result")
	tl.Observe(2500*time.Millisecond, "result", 401, 5*time.Millisecond)
	tl.Observe(2600*time.Millisecond, "result", 200, 7*time.Millisecond)
	tl.Malformed(2600*time.Millisecond, "result")
	tl.Failed(2700*time.Millisecond, "result")

	ws := tl.Windows()
	require.Len(t, ws, 3)
	require.Equal(t, map[string]history.RequestCounts{
		"tasks":  {Total: 3, OK: 2, Malformed: 1},
		"result": {Total: 2, Status5xx: 1, Transport: 1},
		"list":   {Total: 2, Status3xx: 1, Other: 1},
	}, ws[0].ByEndpoint)
	require.Empty(t, ws[1].ByEndpoint, "nothing was meant to go out from 1 s to 2 s")
	require.Zero(t, ws[1].P99)
	require.Equal(t, map[string]history.RequestCounts{
		"result": {Total: 3, Status4xx: 1, Malformed: 1, Transport: 1},
	}, ws[2].ByEndpoint)
	require.Equal(t, 30*time.Millisecond, ws[0].Max, "transport failures have no latency")
	require.Equal(t, 7*time.Millisecond, ws[2].Max)
	require.InEpsilon(t, float64(5*time.Millisecond), float64(ws[2].P50), 0.01)
}

// Each window's percentiles are its own: a slow second does not leak into
// the fast ones around it.
func TestTimelinePerWindowPercentiles(t *testing.T) {
	tl := NewTimeline(time.Second, 3*time.Second)
	rng := rand.New(rand.NewPCG(7, 8))
	for i := range 1000 {
		at := time.Duration(rng.Int64N(int64(time.Second)))
		tl.Observe(at, "tasks", 200, time.Duration(i%100+1)*time.Millisecond) // 1..100 ms
		tl.Observe(time.Second+at, "result", 503, 2*time.Second)
		tl.Observe(2*time.Second+at, "list", 200, time.Duration(i%10+1)*time.Millisecond) // 1..10 ms
	}
	ws := tl.Windows()
	require.Len(t, ws, 3)
	tests := []struct {
		window        int
		p50, p99, max time.Duration
	}{
		{0, 50 * time.Millisecond, 99 * time.Millisecond, 100 * time.Millisecond},
		{1, 2 * time.Second, 2 * time.Second, 2 * time.Second},
		{2, 5 * time.Millisecond, 10 * time.Millisecond, 10 * time.Millisecond},
	}
	for _, tc := range tests {
		w := ws[tc.window]
		require.InEpsilon(t, float64(tc.p50), float64(w.P50), 0.02, "window %d p50", tc.window)
		require.InEpsilon(t, float64(tc.p99), float64(w.P99), 0.02, "window %d p99", tc.window)
		require.Equal(t, tc.max, w.Max, "window %d max", tc.window)
	}
	require.Equal(t, int64(1000), ws[1].ByEndpoint["result"].Status5xx)

	// A span's percentiles are exact over all its requests, not a max of the windows'.
	span := tl.Span(0, time.Second+1)
	require.Equal(t, time.Duration(0), span.From)
	require.Equal(t, 2*time.Second, span.Every, "the span widens to window edges")
	require.Equal(t, int64(1000), span.ByEndpoint["tasks"].OK)
	require.Equal(t, int64(1000), span.ByEndpoint["result"].Status5xx)
	require.InEpsilon(t, float64(2*time.Second), float64(span.P99), 0.02)
	require.InEpsilon(t, float64(100*time.Millisecond), float64(span.P50), 0.02)
	require.Equal(t, ws[2], tl.Span(2500*time.Millisecond, 0), "an empty span is the window holding from")
}

func TestTimelineEndpointsBeyondTheSlotsOverflow(t *testing.T) {
	tl := NewTimeline(time.Second, time.Second)
	for i := range timelineSlots + 2 {
		tl.Observe(0, fmt.Sprintf("e%d", i), 200, time.Millisecond)
	}
	tl.Observe(0, "e0", 200, time.Millisecond)
	byEndpoint := tl.Windows()[0].ByEndpoint
	require.Len(t, byEndpoint, timelineSlots)
	require.Equal(t, int64(2), byEndpoint["e0"].Total)
	require.Equal(t, int64(3), byEndpoint[OverflowEndpoint].Total, "e7, e8 and e9 had no slot of their own")
}

func TestTimelineMerge(t *testing.T) {
	type obs struct {
		at       time.Duration
		endpoint string
		status   int
	}
	record := func(tl *Timeline, os []obs) {
		for i, o := range os {
			if o.status == 0 {
				tl.Failed(o.at, o.endpoint)
				continue
			}
			tl.Observe(o.at, o.endpoint, o.status, time.Duration(i+1)*time.Millisecond)
		}
	}
	a := []obs{{0, "tasks", 200}, {1500 * time.Millisecond, "tasks", 503}, {3 * time.Second, "list", 200}}
	b := []obs{{100 * time.Millisecond, "list", 200}, {1200 * time.Millisecond, "result", 0}, {7 * time.Second, "result", 200}}
	tests := []struct {
		name           string
		everyA, endA   time.Duration
		everyB, endB   time.Duration
		wantEvery      time.Duration
		wantErr        string
		wantWindowsLen int
	}{
		{"same width, other extends", time.Second, 4 * time.Second, time.Second, 8 * time.Second, time.Second, "", 8},
		{"same width, other shorter", time.Second, 8 * time.Second, time.Second, 8 * time.Second, time.Second, "", 8},
		{"other wider: regrid", time.Second, 8 * time.Second, 2 * time.Second, 8 * time.Second, 2 * time.Second, "", 4},
		{"other narrower: fold", 2 * time.Second, 4 * time.Second, time.Second, 8 * time.Second, 2 * time.Second, "", 4},
		{"widths that do not divide", 2 * time.Second, 8 * time.Second, 3 * time.Second, 9 * time.Second, 0, "do not divide", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ta, tb := NewTimeline(tc.everyA, tc.endA), NewTimeline(tc.everyB, tc.endB)
			record(ta, a)
			record(tb, b)
			err := ta.Merge(tb)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.wantEvery, ta.Every())
			require.Equal(t, max(tc.endA, tc.endB), ta.End())

			// The same as recording everything into one timeline of the merged shape.
			all := NewTimeline(tc.wantEvery, max(tc.endA, tc.endB))
			record(all, a)
			record(all, b)
			require.Equal(t, all.Windows(), ta.Windows())
			require.Len(t, ta.Windows(), tc.wantWindowsLen)

			ta.Observe(7500*time.Millisecond, "tasks", 200, time.Millisecond)
			require.Equal(t, int64(1), ta.Windows()[len(ta.Windows())-1].ByEndpoint["tasks"].Total,
				"the merged timeline keeps recording over its extended span")
		})
	}

	short := NewTimeline(time.Second, 2*time.Second)
	short.Observe(3*time.Second, "tasks", 200, time.Millisecond) // clamped into [1 s, 2 s)
	require.NoError(t, short.Merge(NewTimeline(time.Second, 8*time.Second)))
	require.Len(t, short.buckets, 8)
	require.Equal(t, []int64{0, 1}, totals(short.Windows()), "a clamped request stays where it was counted")

	tl := NewTimeline(time.Second, time.Second)
	require.NoError(t, tl.Merge(nil))
	require.Error(t, tl.Merge(tl))
	require.NoError(t, tl.Merge(NewTimeline(time.Second, time.Second)), "merging an empty timeline changes nothing")
	require.Empty(t, tl.Windows())
}

// Merging histograms is exact, so a merged window's percentiles equal those of
// one timeline that saw every request.
func TestTimelineMergeKeepsPercentiles(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	parts := []*Timeline{NewTimeline(time.Second, 5*time.Second), NewTimeline(time.Second, 5*time.Second)}
	all := NewTimeline(time.Second, 5*time.Second)
	for i := range 5000 {
		at := time.Duration(rng.Int64N(int64(5 * time.Second)))
		d := time.Duration(rng.ExpFloat64() * float64(10*time.Millisecond))
		parts[i%2].Observe(at, "tasks", 200, d)
		all.Observe(at, "tasks", 200, d)
	}
	merged := NewTimeline(time.Second, 0)
	for _, p := range parts {
		require.NoError(t, merged.Merge(p))
	}
	require.Equal(t, all.Windows(), merged.Windows())
}

func TestTimelineConcurrentRecording(t *testing.T) {
	tl := NewTimeline(time.Second, 10*time.Second)
	endpoints := []string{"tasks", "result", "list"}
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Go(func() {
			for i := range 1000 {
				at := time.Duration(i%10) * time.Second
				ep := endpoints[(g+i)%3]
				switch i % 4 {
				case 0:
					tl.Failed(at, ep)
				case 1:
					tl.Observe(at, ep, 200, time.Millisecond)
					tl.Malformed(at, ep)
				default:
					tl.Observe(at, ep, 200, time.Millisecond)
				}
			}
		})
	}
	// Readers run alongside the writers, as a progress display would.
	wg.Go(func() {
		for range 20 {
			_ = tl.Windows()
		}
	})
	wg.Wait()
	var sum history.RequestCounts
	ws := tl.Windows()
	require.Len(t, ws, 10)
	for _, w := range ws {
		require.Len(t, w.ByEndpoint, 3)
		for _, c := range w.ByEndpoint {
			sum = sum.Add(c)
		}
	}
	require.Equal(t, history.RequestCounts{Total: 16000, OK: 8000, Transport: 4000, Malformed: 4000}, sum)
}

func BenchmarkTimelineObserve(b *testing.B) {
	tl := NewTimeline(time.Second, 10*time.Minute)
	endpoints := []string{"tasks", "result", "list"}
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			i++
			tl.Observe(time.Duration(i%600)*time.Second, endpoints[i%3], 200, time.Duration(i)*time.Microsecond)
		}
	})
}

// The task queue down makes /tasks answer 503 ({"error": "Task queue
// temporarily unavailable"}): an error of the tasks endpoint, in its window,
// which requests_succeed then holds to the tasks allowance.
func TestTimelineCountsA503OnTasksAsATasksError(t *testing.T) {
	tl := NewTimeline(time.Second, 10*time.Second)
	var rec RequestRecorder
	for _, status := range []int{200, 503, 503} {
		tl.Observe(2*time.Second, "tasks", status, time.Millisecond)
		rec.Observe(status, time.Millisecond)
	}
	tl.Observe(2*time.Second, "result", 200, time.Millisecond)
	w := tl.Windows()[2]
	require.Equal(t, history.RequestCounts{Total: 3, OK: 1, Status5xx: 2}, w.ByEndpoint["tasks"])
	require.Equal(t, int64(2), w.ByEndpoint["tasks"].Errors())
	require.Zero(t, w.ByEndpoint["result"].Errors())
	require.Equal(t, uint64(2), rec.Stats().Errors())
}
