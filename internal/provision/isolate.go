package provision

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"

	"github.com/hbharness/hbharness/internal/isoname"
)

// NewName returns a short random identifier with a readable kind, safe as a
// database name and inside a key prefix. It carries the time it was made, so
// that Sweep can tell what a killed test or run left behind and how old it
// is (see internal/isoname). kind is 1 to 16 lowercase letters or digits,
// starting with a letter; NewName panics on any other.
func NewName(kind string) string { return isoname.New(kind, time.Now()) }

// Name is a name NewName made, parsed: its kind and start time.
type Name = isoname.Name

// ParseName reads a database name, a Redis key or a queue name and fails for
// anything NewName did not make, old names without a time included.
func ParseName(s string) (Name, error) { return isoname.Parse(s) }

// Prefix is the Redis key prefix for an isolated name.
func Prefix(name string) string { return name + ":" }

// CreateDatabase creates database name on the server of adminDSN and returns
// a DSN for it and a function that drops it (forcibly: a crashed test's
// connections must not keep it alive).
func CreateDatabase(ctx context.Context, adminDSN, name string) (string, func(context.Context) error, error) {
	conn, err := pgx.Connect(ctx, adminDSN)
	if err != nil {
		return "", nil, fmt.Errorf("connecting to %s to create a database: %w", Redact(adminDSN), err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", nil, fmt.Errorf("creating database %s: %w", name, err)
	}
	u, err := url.Parse(adminDSN)
	if err != nil {
		return "", nil, fmt.Errorf("parsing %s: %w", Redact(adminDSN), err)
	}
	u.Path = "/" + name
	drop := func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, adminDSN)
		if err != nil {
			return fmt.Errorf("connecting to drop database %s: %w", name, err)
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			return fmt.Errorf("dropping database %s: %w", name, err)
		}
		return nil
	}
	return u.String(), drop, nil
}

// DeleteKeys removes every key under prefix, by SCAN, never FLUSH.
func DeleteKeys(ctx context.Context, c *redis.Client, prefix string) error {
	if prefix == "" {
		return fmt.Errorf("refusing to delete keys with an empty prefix")
	}
	iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	var batch []string
	for iter.Next(ctx) {
		batch = append(batch, iter.Val())
		if len(batch) == 500 {
			if err := c.Unlink(ctx, batch...).Err(); err != nil {
				return fmt.Errorf("deleting keys under %s: %w", prefix, err)
			}
			batch = batch[:0]
		}
	}
	if err := iter.Err(); err != nil {
		return fmt.Errorf("scanning keys under %s: %w", prefix, err)
	}
	if len(batch) > 0 {
		return c.Unlink(ctx, batch...).Err()
	}
	return nil
}
