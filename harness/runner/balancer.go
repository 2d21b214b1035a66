package runner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// balancer spreads requests over the replicas round robin, as the load
// balancer in front of Antenna's web workers does. A replica it cannot
// connect to is skipped and the request goes to the next one; a request a
// replica dies in the middle of fails (502), as it would behind a real one.
type balancer struct {
	mu       sync.RWMutex
	backends []string // base URLs; "" while a replica is down
	next     atomic.Uint64
	client   *http.Client
	srv      *http.Server
	url      string
	log      *slog.Logger
}

func newBalancer(backends []string, log *slog.Logger) (*balancer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, envErr("listening on loopback for the load balancer: %v", err)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 1024
	b := &balancer{backends: backends, log: log, url: "http://" + ln.Addr().String(),
		client: &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	b.srv = &http.Server{Handler: b, ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelDebug)}
	go func() { _ = b.srv.Serve(ln) }()
	return b, nil
}

// set points replica i at url, or takes it out of rotation with "".
func (b *balancer) set(i int, url string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.backends[i] = url
}

func (b *balancer) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = b.srv.Shutdown(ctx)
	b.client.CloseIdleConnections()
}

func (b *balancer) pick() []string {
	b.mu.RLock()
	defer b.mu.RUnlock()
	n := len(b.backends)
	start := int(b.next.Add(1) % uint64(n))
	out := make([]string, 0, n)
	for i := range n {
		if u := b.backends[(start+i)%n]; u != "" {
			out = append(out, u)
		}
	}
	return out
}

func (b *balancer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "balancer: reading the request: "+err.Error(), http.StatusBadRequest)
		return
	}
	var lastErr error
	for _, backend := range b.pick() {
		req, err := http.NewRequestWithContext(r.Context(), r.Method, backend+r.URL.RequestURI(), bytes.NewReader(body))
		if err != nil {
			http.Error(w, "balancer: "+err.Error(), http.StatusBadGateway)
			return
		}
		req.Header = r.Header.Clone()
		resp, err := b.client.Do(req)
		if err != nil {
			lastErr = err
			if refused(err) {
				continue // never reached the replica: safe to try the next one
			}
			break
		}
		for k, vs := range resp.Header {
			w.Header()[k] = vs
		}
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
		resp.Body.Close()
		return
	}
	http.Error(w, fmt.Sprintf("balancer: no replica answered: %v", lastErr), http.StatusBadGateway)
}

// refused reports an error that means the request never reached a replica.
func refused(err error) bool {
	var op *net.OpError
	return errors.Is(err, syscall.ECONNREFUSED) || (errors.As(err, &op) && op.Op == "dial")
}
