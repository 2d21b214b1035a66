package taskqueue

import (
	"context"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hbharness/hbharness/internal/wait"
)

// Feeder keeps the streams of unlimited jobs topped up. Upstream publishes
// all of a job's tasks when it starts; a job "larger than the run" cannot
// be published whole, so its stream gets feedLow tasks at seed and the
// Feeder adds feedChunk whenever fewer than feedLow wait. One deployment
// runs one Feeder (replica 0, as it runs the offline checker), in the
// background: it is no part of the request path.
type Feeder struct {
	Queue *Queue
	// Jobs lists the active jobs with no set number of tasks.
	Jobs func(ctx context.Context) ([]int64, error)
	Log  *slog.Logger
}

// feedState is what the Feeder knows of one job's stream.
type feedState struct {
	next    time.Time // when to look again
	pending int64     // undelivered tasks when last looked
	at      time.Time
	image   int64 // the next image number to publish
}

// Feeder timing, wall time: how often it looks at a job, between feedEvery
// and feedIdle, sooner the faster the job's tasks go; and how often it
// lists the jobs.
const (
	feedEvery = 20 * time.Millisecond
	feedIdle  = time.Second
	feedJobs  = time.Second
)

// Run feeds until ctx ends. It survives NATS going away: it connects again
// and carries on.
func (f *Feeder) Run(ctx context.Context) {
	log := f.Log
	if log == nil {
		log = slog.Default()
	}
	q := f.Queue
	nc, js, err := q.dialLong(ctx, "hbharness feeder", true)
	for err != nil {
		log.Warn("task feeder cannot reach NATS; retrying", "err", err)
		if !wait.For(ctx, feedIdle) {
			return
		}
		nc, js, err = q.dialLong(ctx, "hbharness feeder", true)
	}
	defer nc.Close()
	state := map[int64]*feedState{}
	var jobs []int64
	var listed time.Time
	for {
		if now := time.Now(); now.Sub(listed) >= feedJobs {
			if ids, err := f.Jobs(ctx); err != nil {
				log.Warn("task feeder cannot list the jobs", "err", err)
			} else {
				jobs, listed = ids, now
			}
		}
		for _, id := range jobs {
			s := state[id]
			if s == nil {
				s = &feedState{} // looked at at once: its pace is unknown
				state[id] = s
			}
			if time.Now().Before(s.next) {
				continue
			}
			if err := f.feed(ctx, js, id, s); err != nil && ctx.Err() == nil {
				log.Debug("task feeder could not feed a job", "job", id, "err", err)
				s.next = time.Now().Add(feedIdle)
			}
		}
		if !wait.For(ctx, feedEvery) {
			return
		}
	}
}

// feed looks at one job's consumer and tops its stream up when needed,
// then schedules the next look: before the tasks above MaxAckPending can
// run out at the pace they went since the last one.
func (f *Feeder) feed(ctx context.Context, js jetstream.JetStream, job int64, s *feedState) error {
	q := f.Queue
	if s.image == 0 {
		st, err := js.Stream(ctx, q.names.Stream(job))
		if err != nil {
			return err
		}
		s.image = int64(st.CachedInfo().State.LastSeq) + 1
	}
	c, err := js.Consumer(ctx, q.names.Stream(job), q.names.Consumer(job))
	if err != nil {
		return err
	}
	now := time.Now()
	pending := int64(c.CachedInfo().NumPending)
	rate := 0.0
	if !s.at.IsZero() {
		if gone := s.pending - pending; gone > 0 {
			rate = float64(gone) / now.Sub(s.at).Seconds()
		}
	}
	if pending < q.feedLow() {
		n := q.feedHigh() - pending
		if err := q.publish(ctx, js, job, s.image, n); err != nil {
			return err
		}
		s.image += n
		pending += n
	}
	known := !s.at.IsZero()
	s.pending, s.at = pending, now
	// Until a pace is known (the first look), look again soon.
	wait := feedEvery
	switch {
	case rate > 0:
		wait = time.Duration(float64(feedReserve) / (2 * rate) * float64(time.Second))
	case known:
		wait = feedIdle
	}
	s.next = now.Add(min(feedIdle, max(feedEvery, wait)))
	return nil
}
