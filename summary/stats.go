package summary

// Requests aggregates request outcomes from the fleet and the attacks.
type Requests struct {
	Total  int64 `json:"total"`
	OK     int64 `json:"ok"`
	Errors int64 `json:"errors"` // every request that did not get a 2xx of the shape docs/design.md#wire-protocol gives
	// ByEndpoint classifies them per endpoint.
	ByEndpoint map[string]RequestClasses `json:"by_endpoint"`
	// RPSModel is requests per model second, comparable across time scales.
	RPSModel float64 `json:"rps_model"`
	P50MS    float64 `json:"p50_ms"`
	P99MS    float64 `json:"p99_ms"`
}

// RequestClasses counts one endpoint's requests by what came back.
type RequestClasses struct {
	Total     int64 `json:"total"`
	OK        int64 `json:"ok"`
	Transport int64 `json:"transport"`
	Status3xx int64 `json:"status_3xx"`
	Status4xx int64 `json:"status_4xx"`
	Status5xx int64 `json:"status_5xx"`
	Malformed int64 `json:"malformed"`
	Other     int64 `json:"other"`
}

// KeyStats is one gate key's dispatch record.
type KeyStats struct {
	Key         string `json:"key"`
	Dispatches  int    `json:"dispatches"`
	ExpectedMin int    `json:"expected_min"`
	ExpectedMax int    `json:"expected_max"`
	// MinGapS is the closest pair of the key's dispatches; 0 when it had fewer
	// than two, so read it together with Dispatches.
	MinGapS  float64 `json:"min_gap_s"`
	DBWrites int     `json:"db_writes"`
}

// ServiceStats is one service's liveness record.
type ServiceStats struct {
	ID                int64   `json:"id"`
	MaxStalenessS     float64 `json:"max_staleness_s"`
	MaxAgeSinceWriteS float64 `json:"max_age_since_write_s"`
	OfflineFlips      int     `json:"offline_flips"`
	// FalseLiveS is the model time it read live while none of its own
	// workers polled.
	FalseLiveS float64 `json:"false_live_s"`
	// Stopped says its workers stopped before the end; TimeToOfflineS is
	// then from their last poll to the first read of it as not live, null
	// when that never came within the run.
	Stopped        bool     `json:"stopped"`
	TimeToOfflineS *float64 `json:"time_to_offline_s"`
	// TimeToOfflineBoundS is, for a stopped service, the latest it may be
	// flipped after its last poll: offline_after after its own last
	// heartbeat landed (HeartbeatLagS past that poll, the task's queue
	// wait) plus the offline check's allowance (see Liveness). It is read
	// up to one sample period later.
	TimeToOfflineBoundS *float64 `json:"time_to_offline_bound_s,omitempty"`
	HeartbeatLagS       *float64 `json:"heartbeat_lag_s,omitempty"`
}

// Liveness sums up how fast services whose workers stopped were read as
// offline, beside the bounds [offline_after - throttle, offline_after +
// the offline check's allowance]: the longest gap between copies of the
// check that ran plus the longest any waited in its queue (CheckerGapMaxS
// + CheckerQueueWaitMaxS, measured), or checker_every + checker_expires
// when the target does not report its checks. A service's own bound adds
// its last heartbeat's lag (ServiceStats).
type Liveness struct {
	Stopped           int        `json:"stopped"`
	Detected          int        `json:"detected"`
	TimeToOfflineMaxS *float64   `json:"time_to_offline_max_s"`
	TimeToOfflineP50S *float64   `json:"time_to_offline_p50_s"`
	BoundsS           [2]float64 `json:"time_to_offline_bounds_s"`
	FalseLiveS        float64    `json:"false_live_s"`
	// Checks counts the copies of the offline check sent within the run
	// and what became of them; nil when the target does not report them.
	Checks *CheckCounts `json:"checks,omitempty"`
	// CheckerQueueWaitMaxS is the longest a copy that ran waited in its
	// queue (or one still queued at the end had waited); CheckerGapMaxS the
	// longest between two copies that ran; CheckerDropWaitMaxS the longest
	// a dropped copy waited. Null when the checks are not reported.
	CheckerQueueWaitMaxS *float64 `json:"checker_queue_wait_max_s"`
	CheckerGapMaxS       *float64 `json:"checker_gap_max_s"`
	CheckerDropWaitMaxS  *float64 `json:"checker_drop_wait_max_s,omitempty"`
	// TimeToOfflineNote says when a stopped service's time_to_offline
	// measures no check: none ran after it went stale.
	TimeToOfflineNote string `json:"time_to_offline_note,omitempty"`
}

// CheckCounts is what became of the offline check's copies sent in a run.
type CheckCounts struct {
	Sent    int `json:"sent"`
	Ran     int `json:"ran"`
	Dropped int `json:"dropped"`
	Failed  int `json:"failed"`
	Unsent  int `json:"unsent"`
	// Queued were still waiting when the run ended (some taken after it).
	Queued int `json:"queued"`
}

// Unobserved is one stretch an observer did not see, in model seconds.
type Unobserved struct {
	Observer string  `json:"observer"`
	FromS    float64 `json:"from_s"`
	ToS      float64 `json:"to_s"`
	Reason   string  `json:"reason"`
}

// LoadGenerator says whether the load generator kept its schedule; a
// saturated generator understates the load the target was given.
type LoadGenerator struct {
	ScheduleLagP99MS float64 `json:"schedule_lag_p99_ms"`
	LateSends        int64   `json:"late_sends"`
	DroppedSends     int64   `json:"dropped_sends"`
	Saturated        bool    `json:"saturated"`
}

// DatabaseLocks is history.Locks as summary.json writes it.
type DatabaseLocks struct {
	// Samples is how many readings it rests on (Errors failed); a wait
	// shorter than SampleEveryS may be missed.
	Samples      int64   `json:"samples"`
	Errors       int64   `json:"errors"`
	SampleEveryS float64 `json:"sample_every_s"`
	// MaxWaiting is the most backends waiting on a lock at once;
	// WaitingBackendS the waiting integrated over the run, in backend-
	// seconds of model time.
	MaxWaiting      int64   `json:"max_waiting"`
	WaitingBackendS float64 `json:"waiting_backend_s"`
	// Deadlocks Postgres detected and broke during the run.
	Deadlocks int64 `json:"deadlocks"`
}

// Views is history.Views as summary.json writes it, in model seconds.
type Views struct {
	ByRoute map[string]ViewTimes `json:"by_route"`
	// Refused counts requests answered 500 for want of a database connection.
	Refused int64 `json:"refused"`
}

// ViewTimes is one route's views.
type ViewTimes struct {
	Count int64   `json:"count"`
	MeanS float64 `json:"mean_s"`
	MaxS  float64 `json:"max_s"`
}
