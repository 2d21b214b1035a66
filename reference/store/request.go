package store

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Request is one web request's database work as Django runs a view under
// ATOMIC_REQUESTS (config/settings/base.py:59): one transaction around the
// whole view, on the connection of the thread serving it. The transaction
// begins with the view's first statement (psycopg sends BEGIN then) and
// ends when the view does, so a row an UPDATE in the view locks stays
// locked through everything the view does afterwards.
//
// A Request is used by one request at a time; Store gives its statements.
type Request struct {
	pool *pgxpool.Pool
	// Wrote, when set, hears of each table the transaction writes (cachalot
	// invalidates them at commit).
	Wrote func(table string)
	// Acquired, when set, hears how long the request waited for a
	// connection from the pool.
	Acquired func(waited float64)

	mu   sync.Mutex
	conn *pgxpool.Conn
	tx   pgx.Tx
	err  error // a failed begin: every statement fails with it
}

// NewRequest starts a request's database work on pool; nothing is sent
// until its first statement.
func NewRequest(pool *pgxpool.Pool) *Request { return &Request{pool: pool} }

// Store is the request's statements: those of a Store that runs them in the
// request's transaction.
func (r *Request) Store() *Store {
	return &Store{pool: r.pool, db: (*requestTx)(r), wrote: r.Wrote}
}

// Begun reports whether a statement has run (the transaction is open).
func (r *Request) Begun() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.tx != nil
}

func (r *Request) begin(ctx context.Context) (pgx.Tx, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.tx != nil || r.err != nil {
		return r.tx, r.err
	}
	conn, err := acquire(ctx, r.pool, r.Acquired)
	if err != nil {
		r.err = fmt.Errorf("connecting to the database for the request: %w", err)
		return nil, r.err
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		conn.Release()
		r.err = fmt.Errorf("beginning the request's transaction: %w", err)
		return nil, r.err
	}
	r.conn, r.tx = conn, tx
	return tx, nil
}

// End commits the transaction (rolls it back when commit is false, or when
// a statement failed in it, as Django does for a view that raised) and
// gives the connection back. It reports whether a commit happened: only a
// committed transaction's writes are invalidated in the cache.
func (r *Request) End(ctx context.Context, commit bool) (committed bool, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.tx == nil {
		return false, nil
	}
	defer func() {
		r.conn.Release()
		r.conn, r.tx = nil, nil
	}()
	if !commit {
		return false, r.tx.Rollback(ctx)
	}
	if err := r.tx.Commit(ctx); err != nil {
		if errors.Is(err, pgx.ErrTxCommitRollback) {
			return false, nil // a statement had failed: Postgres rolled it back
		}
		return false, fmt.Errorf("committing the request's transaction: %w", err)
	}
	return true, nil
}

// requestTx runs statements in the request's transaction, beginning it on
// the first.
type requestTx Request

func (t *requestTx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	tx, err := (*Request)(t).begin(ctx)
	if err != nil {
		return pgconn.CommandTag{}, err
	}
	return tx.Exec(ctx, sql, args...)
}

func (t *requestTx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	tx, err := (*Request)(t).begin(ctx)
	if err != nil {
		return errRow{err}
	}
	return tx.QueryRow(ctx, sql, args...)
}

type errRow struct{ err error }

func (e errRow) Scan(...any) error { return e.err }
