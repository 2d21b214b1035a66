package fault

import "time"

// Latency ("latency") forwards every chunk, in either direction, Delay after
// it reached the proxy. The delay counts from arrival rather than from the
// previous write, so pipelined traffic keeps its throughput and each direction
// keeps its byte order; a request/response round trip costs 2×Delay.
type Latency struct{ Delay time.Duration }

func (Latency) Name() string { return "latency" }
func (Latency) Admit() bool  { return true }
func (Latency) Sever() bool  { return false }

func (l Latency) Release(arrived time.Time) (time.Time, bool) { return arrived.Add(l.Delay), false }

func (l Latency) String() string { return "latency " + l.Delay.String() }
