package history

import (
	"bytes"
	"compress/gzip"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/faults"
)

func TestWriteReadRoundTrip(t *testing.T) {
	h := &History{
		Duration: 4*time.Minute + 30*time.Second, TimeScale: 0.05, Throttle: 30 * time.Second,
		Tolerance:      map[Clock]time.Duration{ClockRedis: 300 * time.Millisecond},
		HaveDispatches: true,
		Keys:           []Key{{Key: "k", Services: []int64{1, 2}, Active: []Interval{{From: 0, To: time.Minute}}}},
		Dispatches:     []Dispatch{{At: time.Second, Key: "k", ID: "d1", Clock: ClockRedis}},
		Samples:        []Sample{{At: 2 * time.Second, ServiceID: 1, Staleness: time.Second, Live: true}},
		Requests: Requests{RequestCounts: RequestCounts{Total: 3, OK: 2, Status5xx: 1},
			Timeline: []RequestWindow{{From: 0, Every: 2 * time.Second, P99: 7 * time.Millisecond,
				ByEndpoint: map[string]RequestCounts{"result": {Total: 3, OK: 2, Status5xx: 1}}}}},
		Faults: []Fault{{Kind: "redis-slow", At: 70 * time.Second, For: 70 * time.Second,
			Planned: faults.Fault{Kind: "redis-slow", At: 69 * time.Second, For: 71 * time.Second, Replica: faults.AllReplicas,
				Params: &faults.Slow{Latency: faults.Duration(250 * time.Millisecond)}},
			Requests: &RequestWindow{From: 70 * time.Second, Every: 70 * time.Second}}},
	}
	var buf bytes.Buffer
	require.NoError(t, Save(&buf, h))
	got, err := Load(&buf)
	require.NoError(t, err)
	require.Equal(t, h, got)
}

func TestReadRefusesWhatItCannotRead(t *testing.T) {
	gz := func(s string) *bytes.Buffer {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		_, _ = zw.Write([]byte(s))
		_ = zw.Close()
		return &b
	}
	var whole bytes.Buffer
	require.NoError(t, Save(&whole, &History{Duration: time.Minute}))
	cases := []struct {
		name string
		in   *bytes.Buffer
		want string
	}{
		{"not gzip", bytes.NewBufferString(`{"schema":"hbharness.history/v1"}`), "not gzip"},
		{"other schema", gz(`{"schema":"hbharness.history/v9","history":{}}`), `"hbharness.history/v9"`},
		{"no history", gz(`{"schema":"hbharness.history/v1"}`), "no history"},
		{"truncated", bytes.NewBuffer(whole.Bytes()[:whole.Len()/2]), "history"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(tc.in)
			require.Error(t, err)
			require.True(t, strings.Contains(err.Error(), tc.want), err.Error())
		})
	}
}
