// Package progress tracks which of a job's tasks have been processed, so
// that the job completes when the last one is: Antenna keeps a job's
// pending image ids in Redis sets and removes each result's
// (AsyncJobStateManager.update_state, called from process_nats_pipeline_result,
// ami/jobs/tasks.py:261–266 and 347–351); the job is complete when none is
// left. Here a task is its stream sequence, read from its reply subject,
// so a result with a made-up reply subject removes nothing.
package progress

import (
	"context"
	"fmt"
	"strconv"

	"github.com/redis/go-redis/v9"
)

// Tracker keeps each finite job's pending tasks in a Redis set under Prefix.
type Tracker struct {
	Redis  *redis.Client
	Prefix string
}

// keys is what every progress key starts with after the prefix.
const keys = "progress:job:"

func (t Tracker) key(job int64) string { return t.Prefix + keys + strconv.FormatInt(job, 10) }

// Reset forgets every job's progress under the prefix (SCAN and UNLINK,
// never FLUSH: the server is shared): a seed starts anew.
func (t Tracker) Reset(ctx context.Context) error {
	iter := t.Redis.Scan(ctx, 0, t.Prefix+keys+"*", 1000).Iterator()
	for iter.Next(ctx) {
		if err := t.Redis.Unlink(ctx, iter.Val()).Err(); err != nil {
			return fmt.Errorf("resetting job progress: %w", err)
		}
	}
	if err := iter.Err(); err != nil {
		return fmt.Errorf("resetting job progress: %w", err)
	}
	return nil
}

// Start records job's tasks 1..n as pending (AsyncJobStateManager.
// initialize_job, ami/ml/orchestration/jobs.py:121–122).
func (t Tracker) Start(ctx context.Context, job, n int64) error {
	key := t.key(job)
	if err := t.Redis.Del(ctx, key).Err(); err != nil {
		return fmt.Errorf("starting the progress of job %d: %w", job, err)
	}
	const chunk = 5000
	for from := int64(1); from <= n; from += chunk {
		members := make([]any, 0, chunk)
		for i := from; i < from+chunk && i <= n; i++ {
			members = append(members, i)
		}
		if err := t.Redis.SAdd(ctx, key, members...).Err(); err != nil {
			return fmt.Errorf("starting the progress of job %d: %w", job, err)
		}
	}
	return nil
}

// done removes one task and says what is left: -1 when the job is not
// tracked (no set: unlimited, or already complete), else whether this call
// removed it and how many remain. Redis deletes a set that becomes empty,
// so exactly one call sees the last task go.
var done = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return {-1, 0} end
local removed = redis.call('SREM', KEYS[1], ARGV[1])
return {removed, redis.call('SCARD', KEYS[1])}
`)

// Outcome is what processing one task did to its job.
type Outcome int

const (
	Untracked Outcome = iota // not a finite job in progress (unlimited, or complete)
	Again                    // the task was processed before (a redelivery)
	Counted                  // one task fewer to go
	Complete                 // that was the job's last task
)

// Processed records task seq of job as processed.
func (t Tracker) Processed(ctx context.Context, job int64, seq uint64) (Outcome, error) {
	res, err := done.Run(ctx, t.Redis, []string{t.key(job)}, seq).Int64Slice()
	if err != nil {
		return Untracked, fmt.Errorf("recording task %d of job %d processed: %w", seq, job, err)
	}
	switch {
	case res[0] < 0:
		return Untracked, nil
	case res[0] == 0:
		return Again, nil
	case res[1] == 0:
		return Complete, nil
	}
	return Counted, nil
}

// Undo puts task seq of job back as pending: its completion could not be
// recorded, and its redelivery must find it again.
func (t Tracker) Undo(ctx context.Context, job int64, seq uint64) error {
	if err := t.Redis.SAdd(ctx, t.key(job), seq).Err(); err != nil {
		return fmt.Errorf("putting task %d of job %d back as pending: %w", seq, job, err)
	}
	return nil
}
