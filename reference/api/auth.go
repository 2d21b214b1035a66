package api

import (
	"context"
	"crypto/subtle"
	"net/http"
	"sync"

	"github.com/hbharness/hbharness/reference/antenna"
	"github.com/hbharness/hbharness/reference/store"
)

// authenticator accepts the shared token and, per docs/design.md#strategies, one token
// per async service (antenna.ServiceToken), as Antenna will with application tokens.
type authenticator struct {
	shared string
	store  *store.Store
	known  sync.Map // service id -> struct{}: services stay async for a run
}

func newAuthenticator(shared string, st *store.Store) *authenticator {
	return &authenticator{shared: shared, store: st}
}

// check returns the calling service (0 for the shared token) and whether the
// request is authenticated.
func (a *authenticator) check(r *http.Request) (int64, bool) {
	tok, ok := antenna.TokenFrom(r.Header.Get("Authorization"))
	if !ok {
		return 0, false
	}
	if subtle.ConstantTimeCompare([]byte(tok), []byte(a.shared)) == 1 {
		return 0, true
	}
	id, ok := antenna.ServiceOf(tok)
	if !ok {
		return 0, false
	}
	if _, ok := a.known.Load(id); ok {
		return id, true
	}
	async, err := a.store.IsAsyncService(r.Context(), id)
	if err != nil || !async {
		return 0, false
	}
	a.known.Store(id, struct{}{})
	return id, true
}

type serviceKey struct{}

func withService(ctx context.Context, id int64) context.Context {
	if id == 0 {
		return ctx
	}
	return context.WithValue(ctx, serviceKey{}, id)
}

func serviceFrom(ctx context.Context) int64 {
	id, _ := ctx.Value(serviceKey{}).(int64)
	return id
}
