package contract

// The writer's tag (docs/design.md#schema): the reference sets these two
// settings for the transaction of each heartbeat UPDATE, to the dispatch
// that made it and its gate key, so that an audit trigger can read them
// with current_setting(..., true) and an observer outside the reference
// knows which dispatch made each write.
const (
	TagDispatch = "hbharness.dispatch"
	TagKey      = "hbharness.key"
)

// ServiceTable is Antenna's table of processing services, whose async rows
// (endpoint_url IS NULL) carry last_seen and last_seen_live.
const ServiceTable = "ml_processingservice"
