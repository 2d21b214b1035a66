// Package fleet drives a closed-model poller fleet: one goroutine per simulated
// worker, each following the real Antenna worker loop (docs/design.md#wire-protocol) on an
// absolute model-time schedule against any HTTP target that speaks the protocol.
package fleet

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hbharness/hbharness/harness/latency"
	"github.com/hbharness/hbharness/harness/results"
	"github.com/hbharness/hbharness/internal/modeltime"
)

// Behaviours a worker can have (scenario field `behaviour`).
const (
	// Active workers cycle tasks → result on their job, go idle when it runs out,
	// and take the next job the list offers.
	Active = "active"
	// Idle workers only poll the jobs list: their pipelines have no work.
	Idle = "idle"
	// ADC workers are one GPU of ami-data-companion, the real worker client:
	// list, then drain every listed job with concurrent loaders and a result
	// pool, as fast as the target answers (adc.go).
	ADC = "adc"
)

// Defaults for optional Config fields.
const (
	DefaultLagTolerance = 25 * time.Millisecond
	DefaultDrainTimeout = 5 * time.Second
)

// Worker is one simulated processing-service worker. Durations are model time.
type Worker struct {
	ID       int
	Group    string
	Token    string
	KeyIndex int

	// JobID is the job an active worker starts on; 0 starts it idle, listing jobs.
	JobID int64

	// Slugs and ProjectID build the list request, as the real client sends it.
	Slugs     []string
	ProjectID int64

	Behaviour string

	// PollEvery is, for active workers, the period of one tasks → result cycle
	// (processing included), for idle workers the period of list polls, and
	// for adc workers the sleep after a list that offered no work.
	// IdleEvery is how often an active worker without a job polls the list.
	// Jitter spreads every period uniformly by ±Jitter.
	PollEvery, IdleEvery, Jitter time.Duration

	// StartAt and StopAt are offsets from the run start; the runner decides them
	// (together, spread, ramp). A worker stops after finishing its cycle.
	StartAt, StopAt time.Duration
	// CrashAt, when not 0, is when the worker vanishes: the request it has
	// out is abandoned and nothing more is sent, not even its last result.
	CrashAt time.Duration

	BatchSize int

	// Target, when set, overrides Config.Target for this worker: the runner
	// spreads workers over several replicas as a load balancer would.
	Target string

	// Register, when set, is sent once at StartAt, before the first poll
	// (register.go).
	Register *Registration
}

// Config says what to drive and how.
type Config struct {
	// Target is the base URL of the system under test, e.g. http://127.0.0.1:8080.
	Target string
	// Run anchors the schedule; a zero Start means "now".
	Run     modeltime.Run
	Workers []Worker
	// Client is optional; the default keeps an idle connection per worker and
	// shares no state with the rest of the process.
	Client *http.Client
	// LagTolerance (wall) is how late a send may go out before it counts as late.
	LagTolerance time.Duration
	// DrainTimeout (wall) is how long requests still in flight when the last
	// worker stops may take before they are abandoned and counted as transport
	// failures; it bounds Run when the target stops answering.
	DrainTimeout time.Duration
	// End (model time), when set, is the end of the run: nothing is sent at
	// or after it, not even the result of a cycle a stopping worker finishes.
	End time.Duration
	// Seed makes the jitter reproducible: worker i draws from a stream seeded by (Seed, ID).
	Seed int64
	// TimelineEvery (model time) is the width of the report's request
	// timeline windows; default latency.DefaultTimelineEvery (1 s).
	TimelineEvery time.Duration
	// Results, when set, is handed every request the report counts, as
	// vegeta records its own (results.go).
	Results results.Sink
	// Live, when set, counts requests and late sends as they happen.
	Live   *latency.Live
	Logger *slog.Logger
}

// Run drives the fleet until every worker has reached its StopAt, or ctx ends
// (then the report so far comes back with Interrupted set and a nil error).
// An error means the configuration cannot be run.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	base, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	if cfg.Run.Start.IsZero() {
		cfg.Run.Start = time.Now()
	}
	if cfg.LagTolerance <= 0 {
		cfg.LagTolerance = DefaultLagTolerance
	}
	if cfg.DrainTimeout <= 0 {
		cfg.DrainTimeout = DefaultDrainTimeout
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	client := cfg.Client
	if client == nil {
		tr := newTransport(cfg.connections())
		defer tr.CloseIdleConnections()
		client = &http.Client{Transport: tr}
	}

	var lastStop time.Duration
	for _, w := range cfg.Workers {
		lastStop = max(lastStop, w.StopAt)
	}
	// Requests get until shortly after the last stop to answer, so a target
	// that stopped answering cannot hold the run open forever.
	reqCtx, cancelReqs := context.WithDeadline(ctx, cfg.Run.At(lastStop).Add(cfg.DrainTimeout))
	defer cancelReqs()

	rec := newRecorders(cfg.LagTolerance, latency.NewTimeline(cfg.TimelineEvery, cfg.timelineEnd()))
	rec.results, rec.live = cfg.Results, cfg.Live
	stats := make([]WorkerStats, len(cfg.Workers))
	log.Info("fleet starting", "workers", len(cfg.Workers), "target", cfg.Target,
		"time_scale", cfg.Run.Scale, "model_duration", lastStop)

	bases := map[string]*url.URL{"": base}
	for _, w := range cfg.Workers {
		if _, ok := bases[w.Target]; !ok {
			bases[w.Target], _ = parseBase(w.Target) // validated above
		}
	}
	var wg sync.WaitGroup
	for i := range cfg.Workers {
		w := newWorker(cfg.Workers[i], bases[cfg.Workers[i].Target], cfg.Run, client, rec, &stats[i], cfg.Seed)
		w.end = cfg.End
		wg.Go(func() {
			wctx, wreq := ctx, reqCtx
			if crash := w.spec.CrashAt; crash > 0 {
				var cancel, cancelReq context.CancelFunc
				wctx, cancel = context.WithDeadline(ctx, cfg.Run.At(crash))
				wreq, cancelReq = context.WithDeadline(reqCtx, cfg.Run.At(crash))
				defer cancel()
				defer cancelReq()
			}
			w.loop(wctx, wreq)
		})
	}
	wg.Wait()

	rep := rec.report(stats)
	// A cancellation that lands after the last stop cut nothing short.
	rep.Interrupted = ctx.Err() != nil && time.Now().Before(cfg.Run.At(lastStop))
	log.Info("fleet finished", "requests", rep.Requests.Total, "ok", rep.Requests.OK,
		"late", rep.Lag.Late, "dropped", rep.Lag.Dropped, "interrupted", rep.Interrupted)
	return rep, nil
}

// timelineEnd is the end of the model-time span the request timeline covers:
// the run's end when set (nothing is sent at or after it); otherwise the last
// stop, plus a period for active workers, whose last cycle's result may go
// out after their stop.
func (cfg Config) timelineEnd() time.Duration {
	if cfg.End > 0 {
		return cfg.End
	}
	var end time.Duration
	for _, w := range cfg.Workers {
		last := w.StopAt
		if w.Behaviour == Active || w.Behaviour == ADC {
			// An adc worker's queued results, too, still go out after its stop.
			last += w.PollEvery
		}
		end = max(end, last)
	}
	return end
}

// connections is how many requests the fleet can have out at once: one per
// worker, and for adc workers one per loader and result sender as well.
func (cfg Config) connections() int {
	n := 0
	for _, w := range cfg.Workers {
		n++
		if w.Behaviour == ADC {
			n += adcLoaders + adcSenders
		}
	}
	return n
}

func (cfg Config) validate() (*url.URL, error) {
	base, err := parseBase(cfg.Target)
	if err != nil {
		return nil, err
	}
	if err := cfg.Run.Scale.Validate(); err != nil {
		return nil, fmt.Errorf("fleet: %w", err)
	}
	if len(cfg.Workers) == 0 {
		return nil, fmt.Errorf("fleet has no workers: give at least one Worker")
	}
	for i := range cfg.Workers {
		if err := cfg.Workers[i].validate(); err != nil {
			return nil, fmt.Errorf("fleet worker %d (id %d, group %q): %w", i, cfg.Workers[i].ID, cfg.Workers[i].Group, err)
		}
	}
	return base, nil
}

// parseBase accepts an http(s)://host[:port] base URL.
func parseBase(target string) (*url.URL, error) {
	base, err := url.Parse(target)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("fleet target %q is not a usable base URL: want http(s)://host[:port]", target)
	}
	return base, nil
}

func (w Worker) validate() error {
	if w.Target != "" {
		if _, err := parseBase(w.Target); err != nil {
			return err
		}
	}
	switch {
	case w.Behaviour != Active && w.Behaviour != Idle && w.Behaviour != ADC:
		return fmt.Errorf("behaviour %q is unknown: use %q, %q or %q", w.Behaviour, Active, Idle, ADC)
	case w.Token == "":
		return fmt.Errorf("no token: every request must carry Authorization: Token <token>")
	case len(w.Slugs) == 0 && w.ProjectID == 0:
		return fmt.Errorf("neither slugs nor project id: the jobs list request needs at least one")
	case w.PollEvery <= 0:
		return fmt.Errorf("poll_every is %v: it must be > 0", w.PollEvery)
	case w.Jitter < 0 || w.Jitter >= w.PollEvery:
		return fmt.Errorf("jitter %v must be ≥ 0 and below poll_every %v, or the schedule could run backwards", w.Jitter, w.PollEvery)
	case w.StartAt < 0 || w.StopAt <= w.StartAt:
		return fmt.Errorf("start %v and stop %v do not make a window: want 0 ≤ start < stop", w.StartAt, w.StopAt)
	case w.CrashAt != 0 && (w.CrashAt <= w.StartAt || w.CrashAt >= w.StopAt):
		return fmt.Errorf("crash %v must fall between start %v and stop %v", w.CrashAt, w.StartAt, w.StopAt)
	}
	if w.Register != nil {
		if err := w.Register.validate(); err != nil {
			return err
		}
	}
	if w.Behaviour == ADC && w.BatchSize < 1 {
		return fmt.Errorf("batch_size is %d: adc workers need ≥ 1", w.BatchSize)
	}
	if w.Behaviour == Active {
		switch {
		case w.BatchSize < 1:
			return fmt.Errorf("batch_size is %d: active workers need ≥ 1", w.BatchSize)
		case w.IdleEvery <= 0:
			return fmt.Errorf("idle_every is %v: active workers need > 0 for when their job runs out", w.IdleEvery)
		case w.Jitter >= w.IdleEvery:
			return fmt.Errorf("jitter %v must be below idle_every %v", w.Jitter, w.IdleEvery)
		}
	}
	return nil
}

// recorders are shared by all workers; everything in them is lock-free.
type recorders struct {
	tasks, result, list latency.RequestRecorder
	// register counts the registrations sent before the first polls.
	register latency.RequestRecorder
	lag      *latency.LagRecorder
	// timeline sees every request the endpoint recorders see, by the model
	// instant it was meant to be sent.
	timeline *latency.Timeline
	// results, when set, gets every request the recorders count; seq
	// numbers them in the order they ended.
	results results.Sink
	seq     atomic.Uint64
	live    *latency.Live
}

func newRecorders(tolerance time.Duration, timeline *latency.Timeline) *recorders {
	return &recorders{lag: latency.NewLagRecorder(tolerance), timeline: timeline}
}
