package main

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"
)

// Bad flags are usage errors (exit 2), caught before any server is touched.
func TestGCFlagErrors(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"not a duration", []string{"--older-than", "soon"}, "invalid value"},
		{"a number without a unit", []string{"--older-than", "3600"}, "invalid value"},
		{"zero", []string{"--older-than", "0s"}, "must be positive"},
		{"negative", []string{"--older-than=-1h"}, "must be positive"},
		{"unknown flag", []string{"--older", "1h"}, "flag provided but not defined"},
		{"stray argument", []string{"hbh_run_20261127t052800_ab12cd34ef"}, "unexpected argument"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Servers that do not exist: a parse that let the sweep run would
			// fail differently, not as a usage error.
			unreachable(t)
			var out bytes.Buffer
			err := cmdGC(context.Background(), tc.args, &out, slog.New(slog.DiscardHandler))
			var ue usageError
			require.True(t, errors.As(err, &ue), "want a usage error, got %v", err)
			require.Contains(t, err.Error()+out.String(), tc.want)
		})
	}
}

// A server that does not answer is an environment error naming it, with the
// total still printed.
func TestGCReportsUnreachableServers(t *testing.T) {
	unreachable(t)
	var out bytes.Buffer
	err := cmdGC(context.Background(), []string{"--older-than", "2h"}, &out, slog.New(slog.DiscardHandler))
	require.Error(t, err)
	var ue usageError
	require.False(t, errors.As(err, &ue), "not a usage error: %v", err)
	for _, want := range []string{"Postgres at", "Redis at", "RabbitMQ at", "NATS at"} {
		require.Contains(t, err.Error(), want)
	}
	require.Contains(t, out.String(), "removed 0 items (0 databases, 0 Redis keys, 0 NATS streams, 0 RabbitMQ queues) of tests and runs started more than 2h0m0s ago")
}

func unreachable(t *testing.T) {
	t.Setenv("DATABASE_URL", "postgres://postgres@127.0.0.1:1/postgres?sslmode=disable")
	t.Setenv("REDIS_URL", "redis://127.0.0.1:1/0")
	t.Setenv("BROKER_URL", "amqp://guest:guest@127.0.0.1:1/")
	t.Setenv("NATS_URL", "nats://127.0.0.1:1")
}
