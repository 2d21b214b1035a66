package fleet

import (
	"net"
	"net/http"
	"time"
)

// newTransport returns a transport private to one run. Every worker may hold a
// connection, so the idle pool is sized to the fleet; the shared
// http.DefaultTransport (two idle connections per host) would make thousands of
// workers reconnect on every poll and measure dialing instead of the target.
func newTransport(workers int) *http.Transport {
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Transport{
		// A load generator talks to its target directly, whatever the environment says.
		Proxy:               nil,
		DialContext:         dialer.DialContext,
		MaxIdleConnsPerHost: workers + 16,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
}
