package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// Job log levels the views write at; job.logger's effective level is INFO
// (LOG_LEVEL, config/settings/base.py:344), so DEBUG lines are not kept.
const (
	LogInfo    = "INFO"
	LogWarning = "WARNING"
)

// maxLogLength is JobLogHandler.max_log_length before PR #1259.
const maxLogLength = 1000

// LogToTable is job.logger's line since PR #1259: one INSERT into jobs_joblog
// (JobLogHandler.emit, ami/jobs/models.py:412-433), append-only, so
// concurrent requests never wait on each other for it.
func (s *Store) LogToTable(ctx context.Context, job int64, level, message string) error {
	if _, err := s.db.Exec(ctx, `INSERT INTO jobs_joblog (job_id, level, message) VALUES ($1, $2, $3)`,
		job, level, message); err != nil {
		return fmt.Errorf("writing a log line of job %d: %w", job, err)
	}
	s.note(TableJobLog)
	return nil
}

// LogToRow is job.logger's line as PR #1258 found it (JobLogHandler.emit at
// 0a87a3a4^, ami/jobs/models.py:335-361): re-read jobs_job.logs, put the
// line first, keep 1000, and save the row. The UPDATE takes the job row's
// lock, held until the transaction ends: inside a request
// (ATOMIC_REQUESTS) every other request logging for the same job waits.
// The read is not locked, so two writers can lose each other's line, as
// there.
func (s *Store) LogToRow(ctx context.Context, job int64, level, message string) error {
	var raw []byte
	if err := s.db.QueryRow(ctx, `SELECT logs FROM jobs_job WHERE id = $1`, job).Scan(&raw); err != nil {
		return fmt.Errorf("reading the logs of job %d: %w", job, err)
	}
	var logs struct {
		Stdout []string `json:"stdout"`
		Stderr []string `json:"stderr"`
	}
	if err := json.Unmarshal(raw, &logs); err != nil {
		return fmt.Errorf("decoding the logs of job %d: %w", job, err)
	}
	line := fmt.Sprintf("[%s] %s %s", time.Now().Format("2006-01-02 15:04:05"), level, message)
	logs.Stdout = append([]string{line}, logs.Stdout...)
	logs.Stdout = logs.Stdout[:min(len(logs.Stdout), maxLogLength)]
	if logs.Stderr == nil {
		logs.Stderr = []string{}
	}
	out, err := json.Marshal(logs)
	if err != nil {
		return fmt.Errorf("encoding the logs of job %d: %w", job, err)
	}
	if _, err := s.db.Exec(ctx, `UPDATE jobs_job SET logs = $2 WHERE id = $1`, job, out); err != nil {
		return fmt.Errorf("saving the logs of job %d: %w", job, err)
	}
	s.note(TableJob)
	return nil
}
