package contract

import "fmt"

// Fixtures describes what to seed. Every (pipeline, project) pair is one
// gate key with its own async services and jobs.
type Fixtures struct {
	Projects       int
	Pipelines      int
	ServicesPerKey int
	JobsPerKey     int
	TasksPerJob    int64 // 0 = unlimited
}

// DefaultFixtures is `serve --seed default`: 1 project, 1 pipeline (slug
// "default"), 3 async services, job 1 with 10,000 tasks.
func DefaultFixtures() Fixtures {
	return Fixtures{Projects: 1, Pipelines: 1, ServicesPerKey: 3, JobsPerKey: 1, TasksPerJob: 10_000}
}

// Validate rejects fixtures that would seed nothing useful.
func (f Fixtures) Validate() error {
	if f.Projects < 1 || f.Pipelines < 1 || f.ServicesPerKey < 1 || f.JobsPerKey < 0 || f.TasksPerJob < 0 {
		return fmt.Errorf("fixtures %+v: projects, pipelines and services_per_key must be >= 1, jobs_per_key and tasks_per_job >= 0", f)
	}
	return nil
}

// Slug names pipeline number i (1-based). The first is "default" so that the
// default seed matches what a worker configured for it asks for.
func Slug(i int) string {
	if i == 1 {
		return "default"
	}
	return fmt.Sprintf("pipeline-%d", i)
}

// Key is one seeded gate key.
type Key struct {
	Index      int
	PipelineID int64
	ProjectID  int64
	Slug       string
	Services   []int64
	// ServiceNames are the services' names, as Services (what a worker
	// registers its service by); nil when the target did not say them.
	ServiceNames []string
	Jobs         []int64
}
