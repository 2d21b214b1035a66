package scenarios

import (
	"go.yaml.in/yaml/v3"
)

func fixturesFields() []string {
	return []string{"projects", "pipelines", "services_per_key", "jobs_per_key", "tasks_per_job"}
}

// fixtures also returns the key count, 0 when projects or pipelines are invalid.
func (d *decoder) fixtures(n *yaml.Node) (Fixtures, int) {
	x := Fixtures{
		Projects:       DefaultProjects,
		Pipelines:      DefaultPipelines,
		ServicesPerKey: DefaultServicesPerKey,
		JobsPerKey:     DefaultJobsPerKey,
		TasksPerJob:    DefaultTasksPerJob,
	}
	f, ok := d.mapping(n, "fixtures", fixturesFields())
	if !ok {
		return x, 0
	}
	count := func(name string, dst *int, lowest int) bool {
		v, ok := f[name]
		if !ok {
			return true
		}
		got, ok := d.integer(v, "fixtures."+name, lowest)
		if ok {
			*dst = got
		}
		return ok
	}
	projectsOK := count("projects", &x.Projects, 1)
	pipelinesOK := count("pipelines", &x.Pipelines, 1)
	count("services_per_key", &x.ServicesPerKey, 1)
	count("jobs_per_key", &x.JobsPerKey, 1)
	count("tasks_per_job", &x.TasksPerJob, 0)
	if !projectsOK || !pipelinesOK {
		return x, 0
	}
	if x.Keys() > maxCount {
		node, field := resolve(n), "fixtures"
		if v, ok := f["pipelines"]; ok {
			node, field = resolve(v), "fixtures.pipelines"
		}
		d.errorf(node, field, "projects × pipelines = %d keys, more than the %d this harness supports", x.Keys(), maxCount)
		return x, 0
	}
	return x, x.Keys()
}
