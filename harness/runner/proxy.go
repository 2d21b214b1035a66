package runner

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"

	"github.com/hbharness/hbharness/harness/fault"
	"github.com/hbharness/hbharness/harness/provision"
)

// proxyURL starts a fault proxy in front of the server of rawURL and returns
// the URL rewritten to go through it.
func proxyURL(ctx context.Context, name, rawURL, scenario string) (string, *fault.Proxy, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return "", nil, fmt.Errorf("cannot put a fault proxy in front of %s: not a host:port URL", provision.Redact(rawURL))
	}
	p, err := fault.NewProxy(ctx, name, u.Host, slog.Default().With("scenario", scenario, "proxy", name))
	if err != nil {
		return "", nil, fmt.Errorf("starting the %s fault proxy: %w", name, err)
	}
	u.Host = p.Addr()
	return u.String(), p, nil
}
