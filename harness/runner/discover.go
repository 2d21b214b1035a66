package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hbharness/hbharness/reference/antenna"
	"github.com/hbharness/hbharness/reference/contract"
	"github.com/hbharness/hbharness/reference/heartbeat"
)

// discoverLimit is the page asked for when finding a target's jobs. Antenna
// answers the worker's own list with one random job (ami/jobs/views.py:
// 370-378 at 731cc2a2), so the harness asks for a page, and for one larger
// than any deployment's active jobs of a pipeline: its order is random
// (views.py:352-353), and only a single page is sure to hold each job once.
// Antenna sets no max_limit (DRF's LimitOffsetPagination.max_limit is None).
const discoverLimit = 1000

// discoverPasses bounds the walks over the list when one page did not hold
// every job it counted (a target that caps the page): with a random order,
// one walk by offsets may show a job twice and another never, and each walk
// adds what it saw.
const discoverPasses = 8

// listTimeout bounds each list request of the discovery.
const listTimeout = 10 * time.Second

// discoverJobs finds every active job of each of ext.Slugs through the
// target's list endpoint, one slug at a time so that a slug that matches
// nothing is named. It asks as the real client does (ids_only,
// incomplete_only, dispatch_mode=async_api) plus a limit, and believes the
// answer's count: a walk that found fewer jobs than that is walked again.
func discoverJobs(ctx context.Context, ext *External, log *slog.Logger) ([]int64, error) {
	if len(ext.Slugs) == 0 {
		return nil, fmt.Errorf("external target: pass --jobs, or --slugs to find the jobs through the list endpoint")
	}
	client := &http.Client{Timeout: listTimeout}
	var all []int64
	var none []string
	for _, slug := range ext.Slugs {
		ids, requests, err := listAll(ctx, client, ext, slug)
		if err != nil {
			return nil, err
		}
		log.Info("external target: listed the active jobs of a pipeline", "slug", slug, "jobs", len(ids), "requests", requests)
		if len(ids) == 0 {
			none = append(none, slug)
		}
		all = append(all, ids...)
	}
	if len(none) > 0 {
		return nil, fmt.Errorf("pipeline slug %s matches no active async_api job on %s: nothing to judge for it (check --slugs)",
			strings.Join(quoteAll(none), ", "), ext.Target)
	}
	slices.Sort(all)
	return slices.Compact(all), nil
}

// listAll is every active job of slug, and how many requests it took.
func listAll(ctx context.Context, client *http.Client, ext *External, slug string) ([]int64, int, error) {
	seen := map[int64]bool{}
	requests := 0
	var count int64
	for range discoverPasses {
		limit, offset := int64(discoverLimit), int64(0)
		for {
			ans, err := listPage(ctx, client, ext, antenna.ListPageURL(ext.Target, []string{slug}, 0, limit, offset))
			requests++
			if err != nil {
				return nil, requests, err
			}
			for _, r := range ans.Results {
				seen[r.ID] = true
			}
			if ans.Count == nil {
				// A target that does not paginate: its answer is the list.
				return sortedIDs(seen), requests, nil
			}
			count = *ans.Count
			l, o, ok := nextPage(ans.Next)
			if !ok || o <= offset || o >= count || len(ans.Results) == 0 {
				break
			}
			limit, offset = l, o
		}
		if int64(len(seen)) >= count {
			return sortedIDs(seen), requests, nil
		}
	}
	return nil, requests, fmt.Errorf("listing the jobs of pipeline %q on %s: found %d of the %d it counts after %d walks of its pages "+
		"(its order is random, and its pages hold fewer than %d jobs); pass --jobs instead", slug, ext.Target, len(seen), count,
		discoverPasses, discoverLimit)
}

// listPage is one list request's answer.
func listPage(ctx context.Context, client *http.Client, ext *External, target string) (antenna.ListAnswer, error) {
	var ans antenna.ListAnswer
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return ans, err
	}
	req.Header.Set("Authorization", antenna.Authorization(ext.Token))
	resp, err := client.Do(req)
	if err != nil {
		return ans, fmt.Errorf("listing jobs on %s: %w", ext.Target, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return ans, fmt.Errorf("listing jobs on %s: HTTP %d (is the token right?)", ext.Target, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(&ans); err != nil {
		return ans, fmt.Errorf("listing jobs on %s: unexpected answer: %w", ext.Target, err)
	}
	if ans.Results == nil {
		return ans, errors.New("listing jobs on " + ext.Target + ": the answer has no results list")
	}
	return ans, nil
}

// nextPage reads limit and offset from a next link. Only those are taken:
// the link is built from the target's own idea of its address
// (build_absolute_uri), which behind a proxy may not be the one asked.
func nextPage(next *string) (limit, offset int64, ok bool) {
	if next == nil {
		return 0, 0, false
	}
	u, err := url.Parse(*next)
	if err != nil {
		return 0, 0, false
	}
	q := u.Query()
	limit, lerr := strconv.ParseInt(q.Get("limit"), 10, 64)
	offset, oerr := strconv.ParseInt(q.Get("offset"), 10, 64)
	if lerr != nil || oerr != nil || limit < 1 || offset < 1 {
		return 0, 0, false
	}
	return limit, offset, true
}

func sortedIDs(seen map[int64]bool) []int64 {
	out := make([]int64, 0, len(seen))
	for id := range seen {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strconv.Quote(s)
	}
	return out
}

// checkJobsFound names the jobs asked for (--jobs) that the observed
// database does not hold with a pipeline: they would silently not be judged.
func checkJobsFound(asked []int64, keys []contract.Key) error {
	found := map[int64]bool{}
	for _, k := range keys {
		for _, j := range k.Jobs {
			found[j] = true
		}
	}
	var missing []string
	for _, id := range asked {
		if !found[id] {
			missing = append(missing, strconv.FormatInt(id, 10))
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("job %s not found with a pipeline in the observed database: nothing to judge for it (check --jobs)",
			strings.Join(missing, ", "))
	}
	return nil
}

// announceKeys says, before the run starts, which jobs and gate keys it
// will judge: one line for the whole and one per (pipeline, project) key,
// the first lines of the run's log. It returns the same in one line for the
// run's notes.
func announceKeys(log *slog.Logger, target string, keys []contract.Key, foundBy string) string {
	jobs := 0
	perKey := make([]string, len(keys))
	for i, k := range keys {
		jobs += len(k.Jobs)
		perKey[i] = fmt.Sprintf("%s jobs %v", heartbeat.JobTarget(k.PipelineID, k.ProjectID).GateKey(), k.Jobs)
	}
	log.Info("external target: judging these jobs", "target", target, "jobs", jobs, "keys", len(keys), "found_by", foundBy)
	for _, k := range keys {
		log.Info("external target: key", "job_key", heartbeat.JobTarget(k.PipelineID, k.ProjectID).GateKey(),
			"list_key", heartbeat.PipelinesTarget([]string{k.Slug}).GateKey(), "slug", k.Slug, "project", k.ProjectID,
			"jobs", k.Jobs, "services", k.Services)
	}
	return fmt.Sprintf("external target: judged %d jobs on %d keys, found by %s: %s", jobs, len(keys), foundBy, strings.Join(perKey, "; "))
}
