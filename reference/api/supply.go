package api

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/redis/go-redis/v9"

	"github.com/hbharness/hbharness/reference/antenna"
	"github.com/hbharness/hbharness/reference/store"
)

// Supply hands out a job's tasks. Antenna keeps them in a queue (NATS); the
// reference only needs them to be finite and shared across replicas.
type Supply interface {
	// Take returns up to n tasks and whether the job has now run out.
	Take(ctx context.Context, job store.Job, n int) ([]antenna.Task, bool, error)
}

// RedisSupply counts tasks taken per job with INCRBY, so replicas share one
// supply; jobs with unlimited tasks never touch Redis.
type RedisSupply struct {
	Client *redis.Client
	Prefix string
	seq    atomic.Int64 // ids for unlimited jobs; unique within a replica
	Tag    string       // distinguishes replicas' ids
}

func (s *RedisSupply) Take(ctx context.Context, job store.Job, n int) ([]antenna.Task, bool, error) {
	if job.TasksTotal == 0 {
		last := s.seq.Add(int64(n))
		return items(job.ID, s.Tag, last-int64(n), last), false, nil
	}
	taken, err := s.Client.IncrBy(ctx, antenna.SupplyKey(s.Prefix, job.ID), int64(n)).Result()
	if err != nil {
		return nil, false, fmt.Errorf("taking %d tasks of job %d: %w", n, job.ID, err)
	}
	from, to := taken-int64(n), min(taken, job.TasksTotal)
	if from >= job.TasksTotal {
		return []antenna.Task{}, true, nil
	}
	return items(job.ID, s.Tag, from, to), to >= job.TasksTotal, nil
}

func items(job int64, tag string, from, to int64) []antenna.Task {
	out := make([]antenna.Task, 0, to-from)
	for i := from; i < to; i++ {
		out = append(out, antenna.Task{
			ID:           fmt.Sprintf("%d-%s%d", job, tag, i),
			ImageID:      i + 1,
			ImageURL:     fmt.Sprintf("http://127.0.0.1/media/images/%d.jpg", i+1),
			ReplySubject: fmt.Sprintf("job.%d.reply.%s%d", job, tag, i),
		})
	}
	return out
}
