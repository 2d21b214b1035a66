package antenna

import (
	"fmt"
	"slices"
	"strings"
)

// Gate keys exactly as Antenna spells them (DESIGN.md §1, §10), without any
// run prefix.

// JobKey throttles /tasks and /result: every async service of the job's
// (pipeline, project).
func JobKey(pipelineID, projectID int64) string {
	return fmt.Sprintf("heartbeat:pipeline:%d:project:%d", pipelineID, projectID)
}

// PipelinesKey throttles the jobs list with pipeline__slug__in. The slugs are
// sorted and de-duplicated, so the same set in any order shares one key.
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

// SortedSlugs is the slug set as the list key spells it.
func SortedSlugs(slugs []string) []string {
	s := slices.Clone(slugs)
	slices.Sort(s)
	return slices.Compact(s)
}
