package reports

import (
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/hbharness/hbharness/reports/metric"
	"github.com/hbharness/hbharness/summary"
)

// The JUnit types follow the de-facto schema CI systems read (Jenkins,
// GitLab, GitHub test reporters): counts and time as attributes.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr,omitempty"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	ClassName string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure"`
	Error     *junitFailure `xml:"error"`
	Skipped   *junitSkipped `xml:"skipped"`
	// SystemOut carries an expected failure's finding: a passing testcase
	// has no message of its own, and a CI viewer would show it as an
	// ordinary pass. Jenkins, GitLab and GitHub's reporters show system-out.
	SystemOut string `xml:"system-out,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Body    string `xml:",chardata"`
}

type junitSkipped struct {
	Message string `xml:"message,attr,omitempty"`
}

// WriteJUnit writes runs as JUnit XML: one testsuite per run named
// scenario/strategy (with its label, "scenario/strategy [label]", so that
// two runs of one scenario keep their IDs apart), one testcase per invariant. A verdict that missed its
// expectation is a failure; an invariant that could not be judged is skipped.
// An interrupted run gets one more, failing, testcase so that CI shows why
// the run failed even when every verdict held.
func WriteJUnit(w io.Writer, runs []summary.Summary) error {
	doc := junitSuites{Name: "hbharness"}
	var total float64
	for _, s := range runs {
		suite := junitRun(s)
		doc.Tests += suite.Tests
		doc.Failures += suite.Failures
		doc.Errors += suite.Errors
		doc.Skipped += suite.Skipped
		total += s.WallDurationS
		doc.Suites = append(doc.Suites, suite)
	}
	doc.Time = seconds(total)
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return fmt.Errorf("write JUnit report: %w", err)
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("write JUnit report: %w", err)
	}
	if _, err := io.WriteString(w, "\n"); err != nil {
		return fmt.Errorf("write JUnit report: %w", err)
	}
	return nil
}

func junitRun(s summary.Summary) junitSuite {
	name := s.Scenario + "/" + s.RunName()
	suite := junitSuite{
		Name: name,
		Time: seconds(s.WallDurationS),
		Properties: []junitProperty{
			{"time_scale", metric.Num(s.TimeScale, 6)},
			{"model_duration_s", metric.Num(s.ModelDurationS, 3)},
			{"target", targetName(s)},
			{"failure_policy", s.FailurePolicy},
			{"replicas", strconv.Itoa(s.Replicas)},
			{"clock_tolerance_ms", metric.Num(s.ClockToleranceMS, 3)},
			{"observation", s.Observation},
		},
	}
	if !s.StartedAt.IsZero() {
		// JUnit timestamps carry no zone; UTC keeps them comparable.
		suite.Timestamp = s.StartedAt.UTC().Format("2006-01-02T15:04:05")
	}
	if s.Skipped != "" {
		// Not run at all: one skipped case says why, so CI lists it.
		suite.Cases = []junitCase{{Name: "scenario", ClassName: name, Time: "0", Skipped: &junitSkipped{Message: "not run: " + s.Skipped}}}
		suite.Skipped, suite.Tests = 1, 1
		return suite
	}
	for _, v := range s.Invariants {
		c := junitCase{Name: v.Name, ClassName: name, Time: "0"}
		switch {
		case s.LoadGenerator.Saturated:
			// Not judged: a verdict on less load than asked for proves nothing.
			c.Skipped = &junitSkipped{Message: "not judged: the load generator saturated"}
			suite.Skipped++
		case !v.Passed && v.Outcome == summary.Inconclusive:
			// Not a finding about the target: the run gave the check nothing.
			c.Error = &junitFailure{Message: oneLine(v.Detail), Type: "inconclusive"}
			suite.Errors++
		case !v.Passed:
			c.Failure = &junitFailure{
				Message: fmt.Sprintf("outcome %s, expected %s: %s", v.Outcome, v.Expected, oneLine(v.Detail)),
				Type:    "verdict",
				Body:    v.Detail,
			}
			suite.Failures++
		case v.Outcome == summary.NotApplicable:
			c.Skipped = &junitSkipped{Message: notApplicable(v.Detail)}
			suite.Skipped++
		case v.Outcome == summary.Fail:
			// Passed by failing as the scenario declared: say so, and what.
			c.SystemOut = fmt.Sprintf("EXPECTED FAILURE: %s failed, as the scenario declares (expect: fail).\n%s", v.Name, v.Detail)
		}
		suite.Cases = append(suite.Cases, c)
	}
	if s.Unusable != "" {
		suite.Cases = append(suite.Cases, junitCase{
			Name: "run_usable", ClassName: name, Time: seconds(s.WallDurationS),
			Error: &junitFailure{Message: s.Unusable, Type: "unusable"},
		})
		suite.Errors++
	}
	if s.LoadGenerator.Saturated {
		suite.Cases = append(suite.Cases, junitCase{
			Name: "load_generator_kept_up", ClassName: name, Time: seconds(s.WallDurationS),
			Error: &junitFailure{
				Message: "the load generator could not keep its schedule; the run measured the harness, not the target",
				Type:    "saturated",
				Body:    strings.Join(s.Notes, "\n"),
			},
		})
		suite.Errors++
	}
	if c, ok := baselineCase(s, name); ok {
		suite.Cases = append(suite.Cases, c)
		if c.Failure != nil {
			suite.Failures++
		} else if c.Skipped != nil {
			suite.Skipped++
		}
	}
	switch {
	case s.Interrupted:
		suite.Cases = append(suite.Cases, junitCase{
			Name: "run_completed", ClassName: name, Time: seconds(s.WallDurationS),
			Failure: &junitFailure{
				Message: fmt.Sprintf("run interrupted after %s of model time; verdicts cover only that part", modelDuration(s.ModelDurationS)),
				Type:    "interrupted",
			},
		})
		suite.Failures++
	case s.Unusable == "" && !s.LoadGenerator.Saturated:
		// The run's own case carries its wall time, so that a viewer that
		// adds up its cases' times shows how long each run took; the
		// verdicts, judged after it in milliseconds, carry 0.
		suite.Cases = append(suite.Cases, junitCase{Name: "run_completed", ClassName: name, Time: seconds(s.WallDurationS),
			SystemOut: fmt.Sprintf("ran %s of model time in %s of wall time (time scale %s)",
				modelDuration(s.ModelDurationS), modelDuration(s.WallDurationS), metric.Num(s.TimeScale, 6))})
	}
	suite.Tests = len(suite.Cases)
	return suite
}

// notApplicable words an n/a verdict's skip message once, whether or not
// its detail already opens with the words.
func notApplicable(detail string) string {
	d := oneLine(detail)
	if strings.HasPrefix(strings.ToLower(d), "not applicable") {
		return d
	}
	return "not applicable: " + d
}

func seconds(s float64) string {
	return strconv.FormatFloat(s, 'f', 3, 64)
}
