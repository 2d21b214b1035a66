package fleet

import (
	"net"
	"net/http"
	"time"
)

// newTransport returns a transport private to one run. Every request the fleet
// can have out at once may hold a connection, so the idle pool is sized to
// them; the shared http.DefaultTransport (two idle connections per host) would
// make thousands of workers reconnect on every poll and measure dialing
// instead of the target.
func newTransport(conns int) *http.Transport {
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Transport{
		// A load generator talks to its target directly, whatever the environment says.
		Proxy:               nil,
		DialContext:         dialer.DialContext,
		MaxIdleConnsPerHost: conns + 16,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
}
