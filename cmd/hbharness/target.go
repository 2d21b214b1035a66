package main

import (
	"flag"
	"fmt"
	"strings"

	"github.com/hbharness/hbharness/harness/observe"
	"github.com/hbharness/hbharness/harness/runner"
)

// targetFlags are the flags that point run and suite at a deployment
// instead of the in-process reference.
type targetFlags struct {
	ext   runner.External
	jobs  string
	slugs string
	zone  string
}

func (t *targetFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&t.ext.Target, "target", "", "drive an external deployment at this base URL instead of in-process replicas")
	fs.StringVar(&t.ext.Token, "token", "", "API token for --target")
	fs.StringVar(&t.ext.ObserveDB, "observe-db", "", "read-only DSN of --target's database")
	fs.BoolVar(&t.ext.AllowRemote, "allow-remote", false, "allow a --target that is not a loopback address")
	fs.StringVar(&t.jobs, "jobs", "", "job ids to poll on --target (default: ask its list endpoint with --slugs)")
	fs.StringVar(&t.slugs, "slugs", "", "pipeline slugs for --target's list endpoint, comma-separated")
	fs.StringVar(&t.ext.Observe, "observe", runner.ObserveAuto, "how --target's writes are seen: "+strings.Join(runner.ObserveModes(), ", ")+
		" (auto: logical decoding where --observe-db allows it, else sampling)")
	fs.StringVar(&t.zone, "target-time-zone", observe.AntennaTimeZone, "the zone --target's naive last_seen is local to (Antenna's TIME_ZONE; ignored when the column has a time zone)")
	fs.DurationVar(&t.ext.QueueAllowance, "queue-allowance", 0, "model time --target's task queue may move one write towards the next (default: a tenth of the throttle window, and at least 250 ms of wall time)")
}

// external returns the deployment the flags name, checked, or nil when none
// of --target, --token, --observe-db was given (an in-process run).
func (t *targetFlags) external() (*runner.External, error) {
	if t.ext.Target == "" && t.ext.Token == "" && t.ext.ObserveDB == "" {
		if t.jobs != "" || t.slugs != "" {
			return nil, usagef("--jobs and --slugs choose what to poll on a --target: give --target, --token and --observe-db too")
		}
		return nil, nil
	}
	var err error
	if t.ext.Zone, err = observe.LoadZone(t.zone); err != nil {
		return nil, usageError{fmt.Errorf("--target-time-zone: %w", err)}
	}
	if t.ext.JobIDs, err = parseIDs(t.jobs); err != nil {
		return nil, err
	}
	t.ext.Slugs = splitList(t.slugs)
	if err := t.ext.CheckTarget(); err != nil {
		return nil, usageError{err}
	}
	ext := t.ext
	return &ext, nil
}
