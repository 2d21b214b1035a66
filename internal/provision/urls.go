// Package provision finds or starts the services a run needs (Postgres,
// Redis, the broker, NATS) and carves out an isolated piece of them: a fresh
// database and a key prefix per test or run, removed afterwards. It never
// stops, restarts or flushes a server it did not start.
package provision

import (
	"net/url"
	"os"
)

// URLs are the service addresses, from DATABASE_URL, REDIS_URL, BROKER_URL
// and NATS_URL.
type URLs struct {
	Database string
	Redis    string
	Broker   string // defaults to Redis
	NATS     string // the task queue (JetStream)
}

// Loopback defaults: a developer's machine with local servers needs no setup.
const (
	DefaultDatabaseURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	DefaultRedisURL    = "redis://127.0.0.1:6379/0"
	DefaultNATSURL     = "nats://127.0.0.1:4222"
)

// FromEnv reads the URLs, filling loopback defaults.
func FromEnv() URLs {
	u := URLs{Database: os.Getenv("DATABASE_URL"), Redis: os.Getenv("REDIS_URL"), Broker: os.Getenv("BROKER_URL"),
		NATS: os.Getenv("NATS_URL")}
	if u.Database == "" {
		u.Database = DefaultDatabaseURL
	}
	if u.Redis == "" {
		u.Redis = DefaultRedisURL
	}
	if u.Broker == "" {
		u.Broker = u.Redis
	}
	if u.NATS == "" {
		u.NATS = DefaultNATSURL
	}
	return u
}

// Redact hides the password of a URL so it can be printed.
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}
