package summary

// Sim is what a simulated run modelled: its service times are parameters
// the run was given, not measurements, and what it leaves out is listed.
type Sim struct {
	// Latencies are the stand-ins' stated service times, by name, as
	// "base + exp(mean tail)".
	Latencies map[string]string `json:"latencies"`
	// Events is how many events the simulation ran; EventLogSHA256 is the
	// hash of its event log, equal for equal seeds and binaries.
	Events         int64  `json:"events"`
	EventLogSHA256 string `json:"event_log_sha256"`
	// NotModelled lists what the simulation leaves out, each with its
	// consequence for the verdicts.
	NotModelled []string `json:"not_modelled"`
}
