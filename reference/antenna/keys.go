package antenna

import (
	"fmt"
	"slices"
	"strings"
)

// Gate keys exactly as Antenna spells them (docs/design.md#the-pattern-under-test and #strategies), without any
// run prefix.

// JobKey throttles /tasks and /result: every async service of the job's
// (pipeline, project).
func JobKey(pipelineID, projectID int64) string {
	return fmt.Sprintf("heartbeat:pipeline:%d:project:%d", pipelineID, projectID)
}

// PipelinesKey throttles the jobs list with pipeline__slug__in: the slugs
// sorted and joined, duplicates kept, exactly as _mark_async_services_seen_
// for_pipelines spells it (ami/jobs/views.py:78 at 731cc2a2). The same slugs
// in any order share one key; "a,a" and "a" are two keys, as upstream.
func PipelinesKey(slugs []string) string {
	return "heartbeat:list:pipelines:" + strings.Join(SortedSlugs(slugs), ",")
}

// ProjectKey throttles the jobs list with only project_id.
func ProjectKey(projectID int64) string {
	return fmt.Sprintf("heartbeat:list:project:%d", projectID)
}

// ServiceKey throttles one calling service (the per-service follow-up).
func ServiceKey(serviceID int64) string {
	return fmt.Sprintf("heartbeat:service:%d", serviceID)
}

// SortedSlugs is the slugs as the list key spells them: sorted, not
// de-duplicated (views.py:78 sorts the request's tuple and nothing more).
func SortedSlugs(slugs []string) []string {
	s := slices.Clone(slugs)
	slices.Sort(s)
	return s
}
