package fault

import "time"

// Blackhole ("blackhole") plays a network that silently drops packets:
// connections are accepted and stay open, but nothing is forwarded in either
// direction, so clients hang until their own timeouts. Because the proxy's
// kernel completes the TCP handshake, a client sees the hang on its first read
// (for Redis, the HELLO its dial sends), not in connect(2).
//
// Held bytes are not dropped: when the blackhole lifts they are delivered in
// order, as TCP retransmission would after a partition heals. Clients that
// timed out have closed their end by then, so nothing stale reaches them.
type Blackhole struct{}

func (Blackhole) Name() string { return "blackhole" }
func (Blackhole) Admit() bool  { return true }
func (Blackhole) Sever() bool  { return false }

func (Blackhole) Release(time.Time) (time.Time, bool) { return time.Time{}, true }
