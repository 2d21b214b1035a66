package attack

import (
	"context"
	"io"
	"net"
	"net/http"
	"time"
)

// newTransport returns a transport private to one run (no shared global pool),
// with room for as many connections as vegeta's workers open.
func newTransport() *http.Transport {
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy:               nil, // the target is reached directly, whatever the environment says
		DialContext:         dialer.DialContext,
		MaxIdleConnsPerHost: 10000,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
}

// cancelTransport ties every request to the run's context. Vegeta builds its
// requests without one, so without this a cancelled run would wait for every
// request in flight to answer or time out.
type cancelTransport struct {
	ctx  context.Context
	base http.RoundTripper
}

func (t *cancelTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	// Derive from the request's own context: it carries the client's timeout.
	ctx, cancel := context.WithCancel(r.Context())
	stop := context.AfterFunc(t.ctx, cancel)
	done := func() { stop(); cancel() }
	resp, err := t.base.RoundTrip(r.WithContext(ctx))
	if err != nil {
		done()
		return nil, err
	}
	resp.Body = &doneBody{ReadCloser: resp.Body, done: done}
	return resp, nil
}

// doneBody releases the request's context once the body is closed; cancelling
// earlier would cut the body off.
type doneBody struct {
	io.ReadCloser
	done func()
}

func (b *doneBody) Close() error {
	err := b.ReadCloser.Close()
	b.done()
	return err
}
