package contract

import "time"

// RedisResolution is how much closer than a TTL two wins on one key can be,
// timed by Redis: it keeps and expires TTLs in whole milliseconds.
const RedisResolution = time.Millisecond
