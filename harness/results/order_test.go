package results_test

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	vegeta "github.com/tsenart/vegeta/v12/lib"
	"github.com/tsenart/vegeta/v12/lib/plot"

	"github.com/hbharness/hbharness/harness/results"
)

// Results stream in the order requests end, stamped with their intended
// sends: vegeta's plot refuses such a file until Order has put it in
// order of the stamps, numbering each attack from 0.
func TestOrderMakesAStreamPlottable(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	rng := rand.New(rand.NewPCG(1, 2))
	var buf bytes.Buffer
	s := results.NewStream(&buf, 0)
	const n = 2000
	for i := range n {
		// Sent every millisecond, by two generators; each takes up to
		// 50 ms, so they end, and reach the stream, out of order.
		due := start.Add(time.Duration(i) * time.Millisecond)
		r := vegeta.Result{Attack: []string{"fleet:a/tasks", "attack:b/list"}[i%2], Timestamp: due,
			Latency: time.Duration(rng.IntN(50)) * time.Millisecond, Code: 200, Method: "GET", URL: "http://x/"}
		if i%7 == 0 {
			r.Code, r.Error = 503, "503 Service Unavailable"
		}
		s.Add(&r)
	}
	require.NoError(t, s.Close())
	// The stream's order: by end, as generators hand results over.
	ended := decode(t, buf.Bytes())
	slices.SortStableFunc(ended, func(a, b vegeta.Result) int { return a.End().Compare(b.End()) })
	numbered := map[string]uint64{}
	for i := range ended {
		ended[i].Seq = numbered[ended[i].Attack]
		numbered[ended[i].Attack]++
	}
	path := filepath.Join(t.TempDir(), "results.bin")
	writeFile(t, path, ended)
	require.Error(t, plotAll(t, path), "out of order, vegeta plot refuses the file")

	require.NoError(t, results.Order(path))
	require.NoError(t, plotAll(t, path))
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	ordered := decode(t, raw)
	require.Len(t, ordered, n)
	next := map[string]uint64{}
	for i, r := range ordered {
		require.Equal(t, next[r.Attack], r.Seq, "each attack numbered from 0 in order")
		next[r.Attack]++
		if i > 0 {
			require.False(t, r.Timestamp.Before(ordered[i-1].Timestamp))
		}
	}
	require.Equal(t, map[string]uint64{"fleet:a/tasks": n / 2, "attack:b/list": n / 2}, next)

	info, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o644), info.Mode().Perm())
	entries, err := os.ReadDir(filepath.Dir(path))
	require.NoError(t, err)
	require.Len(t, entries, 1, "no temporary file left behind")
}

func TestOrderLeavesABrokenFileAlone(t *testing.T) {
	path := filepath.Join(t.TempDir(), "results.bin")
	writeFile(t, path, []vegeta.Result{{Seq: 0, Code: 200}, {Seq: 1, Code: 200}})
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, raw[:len(raw)-4], 0o644))
	require.ErrorContains(t, results.Order(path), "left as it is")
	after, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, raw[:len(raw)-4], after)
}

func decode(t *testing.T, raw []byte) []vegeta.Result {
	t.Helper()
	var out []vegeta.Result
	dec := vegeta.NewDecoder(bytes.NewReader(raw))
	for {
		var r vegeta.Result
		if err := dec.Decode(&r); err != nil {
			return out
		}
		out = append(out, r)
	}
}

func writeFile(t *testing.T, path string, rs []vegeta.Result) {
	t.Helper()
	var buf bytes.Buffer
	enc := vegeta.NewEncoder(&buf)
	for i := range rs {
		require.NoError(t, enc.Encode(&rs[i]))
	}
	require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o644))
}

// plotAll feeds the file to vegeta's own plot, as `vegeta plot` does.
func plotAll(t *testing.T, path string) error {
	t.Helper()
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	p := plot.New()
	for _, r := range decode(t, raw) {
		if err := p.Add(&r); err != nil {
			return err
		}
	}
	p.Close()
	var html bytes.Buffer
	_, err = p.WriteTo(&html)
	return err
}
