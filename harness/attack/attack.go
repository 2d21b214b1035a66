// Package attack drives open-model load (requests at a set rate, whatever the
// answers) at a target of docs/design.md#wire-protocol through vegeta's library, scheduled in model time.
package attack

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/hbharness/hbharness/harness/latency"
	"github.com/hbharness/hbharness/harness/results"
	"github.com/hbharness/hbharness/internal/modeltime"
	"github.com/hbharness/hbharness/reference/antenna"
)

// Defaults for optional Config fields.
const (
	DefaultWorkers      = 10
	DefaultTimeout      = 30 * time.Second
	DefaultLagTolerance = 50 * time.Millisecond
	// minRateRatio is the share of the requested rate an attack must achieve
	// not to count as saturated.
	minRateRatio = 0.95
	// maxWallRate keeps the pacer's interval (whole nanoseconds) meaningful;
	// it is far beyond what one machine can send anyway.
	maxWallRate = 1e7
)

// Attack is one open-model attack. Rates are per model second; StartAt and
// Duration are model time. RateToPerModelSecond > 0 ramps the rate linearly
// from RatePerModelSecond to it over Duration; 0 keeps it constant.
type Attack struct {
	Name, Endpoint                           string // Endpoint: one of antenna.Endpoints()
	RatePerModelSecond, RateToPerModelSecond float64
	StartAt, Duration                        time.Duration
	Targets                                  []Target
	// MaxWorkers caps this attack's concurrent senders, overriding
	// Config.MaxWorkers (0: keep the config's).
	MaxWorkers uint64
}

// Target is one identity requests are sent as; an attack cycles through its targets.
type Target struct {
	Token     string
	JobID     int64
	Slugs     []string
	ProjectID int64
	BatchSize int
}

// Config says what to attack and how.
type Config struct {
	// Target is the base URL of the system under test.
	Target string
	// Run anchors the schedule; a zero Start means "now".
	Run     modeltime.Run
	Attacks []Attack
	// Workers is how many vegeta workers each attack starts with (default 10);
	// vegeta adds more while all are busy, up to MaxWorkers (0: no limit).
	Workers, MaxWorkers uint64
	// Timeout (wall) bounds one request; default 30 s.
	Timeout time.Duration
	// LagTolerance (wall): an attack whose p99 send lag exceeds it is behind.
	LagTolerance time.Duration
	// TimelineEvery (model time) is the width of the report's request
	// timeline windows; default latency.DefaultTimelineEvery (1 s).
	TimelineEvery time.Duration
	// Results, when set, is handed every hit the report counts, restamped
	// with the instant the pacer meant it to go out and timed from there.
	Results results.Sink
	// Live, when set, counts hits and late sends as they happen.
	Live   *latency.Live
	Logger *slog.Logger
}

// Run carries out every attack at its StartAt and returns when all have ended,
// or when ctx ends (then with Interrupted set and a nil error). An error means
// the configuration cannot be run.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	base, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	if cfg.Run.Start.IsZero() {
		cfg.Run.Start = time.Now()
	}
	if cfg.Workers == 0 {
		cfg.Workers = DefaultWorkers
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.LagTolerance <= 0 {
		cfg.LagTolerance = DefaultLagTolerance
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}

	transport := newTransport()
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: &cancelTransport{ctx: ctx, base: transport}, Timeout: cfg.Timeout}

	var lastEnd time.Duration
	for _, a := range cfg.Attacks {
		lastEnd = max(lastEnd, a.StartAt+a.Duration)
	}
	// One timeline for every attack: each hit lands under its attack's endpoint.
	timeline := latency.NewTimeline(cfg.TimelineEvery, lastEnd)

	stats := make([]Stats, len(cfg.Attacks))
	recs := make([]*latency.RequestRecorder, len(cfg.Attacks))
	var wg sync.WaitGroup
	for i := range cfg.Attacks {
		recs[i] = new(latency.RequestRecorder)
		wg.Go(func() {
			stats[i] = runOne(ctx, cfg, cfg.Attacks[i], base.String(), client, recs[i], timeline, log)
		})
	}
	wg.Wait()

	var all latency.RequestRecorder
	for _, r := range recs {
		all.Merge(r)
	}
	// A cancellation that lands after the last attack ended cut nothing short.
	interrupted := ctx.Err() != nil && time.Now().Before(cfg.Run.At(lastEnd))
	return &Report{Requests: all.Stats(), Attacks: stats, Timeline: timeline.Windows(), TimelineRecorder: timeline,
		Interrupted: interrupted}, nil
}

// runOne waits for the attack's start, lets vegeta pace it, and accounts for
// every result: latency and lag both run from the instant the pacer meant the
// hit to go out, so a generator that falls behind shows it instead of hiding
// the target's slowness (coordinated omission); the timeline places the hit
// at that instant, in model time.
func runOne(ctx context.Context, cfg Config, a Attack, base string, client *http.Client, rec *latency.RequestRecorder, timeline *latency.Timeline, log *slog.Logger) Stats {
	sched := newSchedule(cfg.Run.Scale, a)
	wallDur := cfg.Run.Scale.Wall(a.Duration)
	st := Stats{Name: a.Name, Endpoint: a.Endpoint, WallDuration: wallDur}

	timer := time.NewTimer(time.Until(cfg.Run.At(a.StartAt)))
	select {
	case <-timer.C:
	case <-ctx.Done():
		timer.Stop()
		st.WallDuration = 0
		return st
	}

	workers, maxWorkers := cfg.Workers, cfg.MaxWorkers
	if a.MaxWorkers > 0 {
		maxWorkers, workers = a.MaxWorkers, min(workers, a.MaxWorkers)
	}
	opts := []func(*vegeta.Attacker){
		vegeta.Client(client),
		vegeta.Workers(workers),
		vegeta.MaxBody(0), // the answers' bodies are not needed, only their status
	}
	if maxWorkers > 0 {
		opts = append(opts, vegeta.MaxWorkers(maxWorkers))
	}
	attacker := vegeta.NewAttacker(opts...)
	tr := newTargeter(base, a)
	lag := latency.NewLagRecorder(cfg.LagTolerance)

	log.Info("attack starting", "name", a.Name, "endpoint", a.Endpoint, "pacer", sched.pacer(), "wall_duration", wallDur)
	began := time.Now()
	var stoppedAt time.Time
	var stopOnce sync.Once
	stopCancel := context.AfterFunc(ctx, func() {
		stopOnce.Do(func() { stoppedAt = time.Now() })
		attacker.Stop()
	})
	defer stopCancel()

	name := "attack:" + a.Name + "/" + a.Endpoint
	var hits uint64
	for res := range attacker.Attack(tr.next, sched.pacer(), wallDur, a.Name) {
		if res.Code == 0 && ctx.Err() != nil {
			continue // we aborted it; it says nothing about the target
		}
		hits++
		due := began.Add(sched.due(res.Seq))
		at := cfg.Run.Since(due)
		if lag.Sent(due, max(res.Timestamp.Sub(due), 0)) {
			cfg.Live.Late()
		}
		cfg.Live.Request()
		took := res.End().Sub(due)
		if res.Code == 0 {
			rec.Failed()
			timeline.Failed(at, a.Endpoint)
		} else {
			rec.Observe(int(res.Code), took)
			timeline.Observe(at, a.Endpoint, int(res.Code), took)
		}
		if cfg.Results != nil {
			// The same hit as the summary sees it: sent at its due instant,
			// timed from there, not from when vegeta got round to it.
			res.Attack, res.Timestamp, res.Latency = name, due, max(took, 0)
			// The answers' headers say nothing the summary counts (the
			// fleet's results carry none either); BytesIn stays 0, as vegeta
			// drains the bodies uncounted (MaxBody(0)).
			res.Headers = nil
			cfg.Results.Add(res)
		}
	}

	elapsed := wallDur
	if ctx.Err() != nil {
		stopCancel()
		stopOnce.Do(func() { stoppedAt = time.Now() })
		elapsed = min(max(stoppedAt.Sub(began), 0), wallDur)
	}
	expected := sched.hits(elapsed)
	if missed := math.Floor(expected) - float64(hits); missed > 0 {
		lag.Dropped(uint64(missed))
	}
	st.Requests = rec.Stats()
	st.Lag = lag.Stats()
	st.Hits = hits
	st.WallDuration = elapsed
	if elapsed > 0 {
		st.RequestedPerWallSecond = expected / elapsed.Seconds()
		st.AchievedPerWallSecond = float64(hits) / elapsed.Seconds()
	}
	st.RequestedPerModelSecond = cfg.Run.Scale.PerModel(st.RequestedPerWallSecond)
	st.AchievedPerModelSecond = cfg.Run.Scale.PerModel(st.AchievedPerWallSecond)
	st.Saturated, st.Reason = st.judge(cfg.LagTolerance)
	log.Info("attack finished", "name", a.Name, "hits", hits, "achieved_per_wall_s", st.AchievedPerWallSecond,
		"requested_per_wall_s", st.RequestedPerWallSecond, "saturated", st.Saturated)
	return st
}

func (cfg Config) validate() (*url.URL, error) {
	base, err := url.Parse(cfg.Target)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("attack target %q is not a usable base URL: want http(s)://host[:port]", cfg.Target)
	}
	if err := cfg.Run.Scale.Validate(); err != nil {
		return nil, fmt.Errorf("attack: %w", err)
	}
	if cfg.MaxWorkers > 0 && cfg.Workers > cfg.MaxWorkers {
		return nil, fmt.Errorf("attack: workers %d exceed max workers %d; raise max workers or lower workers", cfg.Workers, cfg.MaxWorkers)
	}
	for i, a := range cfg.Attacks {
		if err := a.validate(cfg.Run.Scale); err != nil {
			return nil, fmt.Errorf("attack %d (%q): %w", i, a.Name, err)
		}
	}
	return base, nil
}

func (a Attack) validate(scale modeltime.Scale) error {
	if !slices.Contains(antenna.Endpoints(), a.Endpoint) {
		return fmt.Errorf("endpoint %q is unknown: use one of %s", a.Endpoint, strings.Join(antenna.Endpoints(), ", "))
	}
	switch {
	case !(a.RatePerModelSecond > 0) || scale.PerWall(a.RatePerModelSecond) > maxWallRate:
		return fmt.Errorf("rate %v/s (model) must be > 0 and at most %.0f/s once scaled to wall time", a.RatePerModelSecond, maxWallRate)
	case a.RateToPerModelSecond < 0 || scale.PerWall(a.RateToPerModelSecond) > maxWallRate || math.IsNaN(a.RateToPerModelSecond):
		return fmt.Errorf("ramp target rate %v/s (model) must be ≥ 0 (0: constant rate) and at most %.0f/s once scaled", a.RateToPerModelSecond, maxWallRate)
	case a.StartAt < 0:
		return fmt.Errorf("start_at %v is negative", a.StartAt)
	case a.Duration <= 0 || scale.Wall(a.Duration) <= 0:
		return fmt.Errorf("duration %v must be > 0 (and last at least 1 ns once scaled)", a.Duration)
	case len(a.Targets) == 0:
		return fmt.Errorf("no targets: give at least one token (and job, or slugs/project) to send as")
	}
	for i, t := range a.Targets {
		switch {
		case t.Token == "":
			return fmt.Errorf("target %d has no token: every request must carry Authorization: Token <token>", i)
		case a.Endpoint != antenna.EndpointList && t.JobID <= 0:
			return fmt.Errorf("target %d: the %s endpoint needs a job id > 0", i, a.Endpoint)
		case a.Endpoint == antenna.EndpointTasks && t.BatchSize < 1:
			return fmt.Errorf("target %d: batch_size is %d, the tasks endpoint needs ≥ 1", i, t.BatchSize)
		case a.Endpoint == antenna.EndpointList && len(t.Slugs) == 0 && t.ProjectID == 0:
			return fmt.Errorf("target %d: the list endpoint needs slugs or a project id", i)
		}
	}
	return nil
}
