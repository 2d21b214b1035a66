package reference_test

import (
	"context"
	"io"
	"log"
	"os"
	"testing"

	"github.com/redis/go-redis/v9"
)

type quietRedis struct{}

func (quietRedis) Printf(context.Context, string, ...any) {}

func TestMain(m *testing.M) {
	// go-redis logs every failed dial of the dead-broker tests; they are expected.
	redis.SetLogger(quietRedis{})
	log.SetOutput(io.Discard)
	os.Exit(m.Run())
}
