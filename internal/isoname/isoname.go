// Package isoname is the naming rule for the throwaway databases, Redis key
// prefixes and broker queues that tests and runs create on shared servers.
//
// It lives apart from internal/provision because the reference's broker must
// recognise these names too (to declare their queues expiring) and the
// reference does not import the harness.
//
// A name carries its kind and its start time, so that what a killed run left
// behind can be told from everything else on the server, and its age read
// without any record kept elsewhere:
//
//	hbh_run_20261127t052800_ab12cd34ef
//	hbh_run_20261127t052800_ab12cd34ef:queue    (a key, or a queue name)
package isoname

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
	"time"
)

const (
	lead       = "hbh_"
	timeLayout = "20060102t150405" // lowercase t: the name must stay a valid unquoted identifier
	randBytes  = 5
	// maxKind keeps every name within Postgres's 63-byte identifier limit:
	// 4 + 16 + 1 + 15 + 1 + 10 = 47 bytes at most.
	maxKind = 16
)

// QueueExpiry is how long RabbitMQ keeps a queue of our naming that nothing
// uses (no consumer, no redeclare): the broker declares such queues with
// x-expires, because AMQP cannot list queues and a sweep finds them only
// through the databases and keys of the same name, which may be gone.
// Consumers stay attached for a whole run, so only leftovers ever expire.
const QueueExpiry = time.Hour

var (
	kindRE = regexp.MustCompile(`^[a-z][a-z0-9]{0,15}$`)
	// Anchored and exact: anything of a different shape, older names without
	// a time included, is someone else's and must never be touched.
	nameRE = regexp.MustCompile(`^hbh_([a-z][a-z0-9]{0,15})_([0-9]{8}t[0-9]{6})_([0-9a-f]{10})(?::.*)?$`)
)

// Name is a parsed name of ours.
type Name struct {
	// Base is the database name; Base+":" is the Redis key prefix.
	Base    string
	Kind    string
	Started time.Time // UTC, to the second
}

// New returns a fresh name of the given kind started at started. kind is a
// constant in the caller's code, so an invalid one is a programming error
// and panics rather than producing a name the sweeper would not recognise.
func New(kind string, started time.Time) string {
	if !kindRE.MatchString(kind) {
		panic(fmt.Sprintf("isoname: kind %q must be 1 to %d lowercase letters or digits, starting with a letter", kind, maxKind))
	}
	b := make([]byte, randBytes)
	_, _ = rand.Read(b)
	return lead + kind + "_" + started.UTC().Format(timeLayout) + "_" + hex.EncodeToString(b)
}

// Parse reads a database name, a Redis key or a queue name. It fails for
// anything not made by New, so a caller deleting what parses deletes only
// what tests and runs created.
func Parse(s string) (Name, error) {
	m := nameRE.FindStringSubmatch(s)
	if m == nil {
		return Name{}, fmt.Errorf("%.80q is not a name hbharness made (want hbh_<kind>_<yyyymmdd>t<hhmmss>_<10 hex digits>, optionally followed by :...)", s)
	}
	started, err := time.Parse(timeLayout, m[2])
	if err != nil {
		return Name{}, fmt.Errorf("%.80q looks like a name hbharness made but its time %s is not a valid date: leaving it alone", s, m[2])
	}
	base, _, _ := strings.Cut(s, ":")
	return Name{Base: base, Kind: m[1], Started: started.UTC()}, nil
}
