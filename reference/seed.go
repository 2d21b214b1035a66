package reference

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/hbharness/hbharness/internal/modeltime"
	"github.com/hbharness/hbharness/reference/contract"
	"github.com/hbharness/hbharness/reference/progress"
	"github.com/hbharness/hbharness/reference/settings"
	"github.com/hbharness/hbharness/reference/store"
	"github.com/hbharness/hbharness/reference/taskqueue"
)

// Jobs is the seeded jobs' task supply: tasks each (0: unlimited).
func Jobs(keys []contract.Key, tasks int64) []taskqueue.Job {
	var out []taskqueue.Job
	for _, k := range keys {
		for _, id := range k.Jobs {
			out = append(out, taskqueue.Job{ID: id, Tasks: tasks})
		}
	}
	return out
}

// StartJobs is what starting jobs does in Antenna (queue_images_to_nats,
// ami/ml/orchestration/jobs.py:84): each job's tasks published to a fresh
// stream of its own, and its progress set up, so that it completes when its
// last task's result is processed. An earlier seed's streams and progress
// under the same names go first. Run it after store.Seed, before serving.
func StartJobs(ctx context.Context, natsURL string, rc *redis.Client, prefix string, scale modeltime.Scale,
	s settings.Settings, jobs []taskqueue.Job, log *slog.Logger) error {
	q, err := taskqueue.New(taskqueue.Config{URL: natsURL, Prefix: prefix, Scale: scale, TTR: s.NatsTaskTTR,
		MaxDeliver: s.NatsMaxDeliver, MaxAckPending: s.NatsMaxAckPending, Log: log})
	if err != nil {
		return err
	}
	tracker := progress.Tracker{Redis: rc, Prefix: prefix}
	if err := tracker.Reset(ctx); err != nil {
		return err
	}
	for _, j := range jobs {
		if j.Tasks > 0 {
			if err := tracker.Start(ctx, j.ID, j.Tasks); err != nil {
				return err
			}
		}
	}
	if err := q.Seed(ctx, jobs); err != nil {
		return fmt.Errorf("publishing the jobs' tasks: %w", err)
	}
	return nil
}

// jobStarter is what a replica Open built starts jobs with.
type jobStarter struct {
	nats     string
	redis    *redis.Client
	prefix   string
	scale    modeltime.Scale
	settings settings.Settings
	log      *slog.Logger
}

// StartJobs starts jobs (see the function StartJobs) on the task queue and
// Redis of a replica Open built: once per deployment, before serving.
func (r *Reference) StartJobs(ctx context.Context, jobs []taskqueue.Job) error {
	j := r.jobs
	if j.redis == nil {
		return fmt.Errorf("StartJobs needs a replica built by Open")
	}
	return StartJobs(ctx, j.nats, j.redis, j.prefix, j.scale, j.settings, jobs, j.log)
}

// Seed (re)creates Antenna's schema on pool and seeds f, as `hbharness
// serve --seed` does; force drops tables hbharness did not create (see
// store.ResetSchema). It returns the seeded keys.
func Seed(ctx context.Context, pool *pgxpool.Pool, f contract.Fixtures, force bool) ([]contract.Key, error) {
	if err := store.ResetSchema(ctx, pool, force); err != nil {
		return nil, err
	}
	return store.Seed(ctx, pool, f)
}

// MarkOwned marks table as created by hbharness, so that a later reset of
// the schema may drop it (see store.Owned): for the tables an observer adds.
func MarkOwned(ctx context.Context, pool *pgxpool.Pool, table string) error {
	return store.MarkOwned(ctx, pool, table)
}
