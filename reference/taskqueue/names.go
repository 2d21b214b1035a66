package taskqueue

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// Names spells the queue's names: upstream's with an empty prefix
// (nats_queue.py:59 and 260–270), the run's key prefix in front otherwise.
type Names struct{ Prefix string }

// Stream is job's stream: job_<id>.
func (n Names) Stream(job int64) string { return n.Prefix + "job_" + strconv.FormatInt(job, 10) }

// Subject is the subject job's tasks are published on: job.<id>.tasks.
func (n Names) Subject(job int64) string {
	return n.Prefix + "job." + strconv.FormatInt(job, 10) + ".tasks"
}

// Consumer is job's durable pull consumer: job-<id>-consumer.
func (n Names) Consumer(job int64) string {
	return n.Prefix + "job-" + strconv.FormatInt(job, 10) + "-consumer"
}

// Advisories is the stream every connection makes sure of (ADVISORY_STREAM_NAME).
func (n Names) Advisories() string { return n.Prefix + "advisories" }

// MaxDeliveries is the advisory NATS publishes when one of job's tasks
// has been delivered NatsMaxDeliver times unacknowledged (the subject
// get_dead_letter_image_ids reads, nats_queue.py:797).
func (n Names) MaxDeliveries(job int64) string {
	return "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES." + n.Stream(job) + "." + n.Consumer(job)
}

// AdvisorySubjects is what the advisory stream captures for jobs. Upstream
// captures every advisory ($JS.EVENT.ADVISORY.>, nats_queue.py:764), and so
// does an empty prefix. But NATS lets only one stream hold a subject, and
// that wildcard overlaps every other advisory subject: two runs sharing a
// server could not both have their stream. A prefixed run captures the
// exact max-deliveries advisories of its own jobs' consumers instead, which
// no other run's names can overlap.
func (n Names) AdvisorySubjects(jobs []int64) []string {
	if n.Prefix == "" {
		return []string{"$JS.EVENT.ADVISORY.>"}
	}
	out := make([]string, len(jobs))
	for i, j := range jobs {
		out[i] = n.MaxDeliveries(j)
	}
	return out
}

// Ack is what a reply subject says of the task it acknowledges.
type Ack struct {
	Stream, Consumer string
	// Seq is the task's sequence in its stream: which task it is, however
	// often it was delivered.
	Seq uint64
}

// ParseAck reads a JetStream reply subject: $JS.ACK.<stream>.<consumer>.
// <delivered>.<stream seq>.<consumer seq>.<time>.<pending>, or the v2 form
// with a domain and an account hash after $JS.ACK. Anything else (a made-up
// subject) is not an ack.
func ParseAck(reply string) (Ack, bool) {
	tokens := strings.Split(reply, ".")
	if len(tokens) < 9 || tokens[0] != "$JS" || tokens[1] != "ACK" {
		return Ack{}, false
	}
	at := 2
	if len(tokens) >= 11 {
		at = 4 // v2: $JS.ACK.<domain>.<account hash>.<stream>...
	} else if len(tokens) != 9 {
		return Ack{}, false
	}
	seq, err := strconv.ParseUint(tokens[at+3], 10, 64)
	if err != nil || seq == 0 || tokens[at] == "" || tokens[at+1] == "" {
		return Ack{}, false
	}
	return Ack{Stream: tokens[at], Consumer: tokens[at+1], Seq: seq}, true
}

// redact hides a password in a NATS URL.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

// taskBody is the message published for image i of a job, as
// queue_images_to_nats publishes a PipelineProcessingTask
// (ami/ml/orchestration/jobs.py:113–117), in the reference's wire shape.
func taskBody(i int64) []byte {
	return fmt.Appendf(nil, `{"id":"%d","image_id":%d,"image_url":"http://127.0.0.1/media/images/%d.jpg"}`, i, i, i)
}
