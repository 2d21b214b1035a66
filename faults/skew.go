package faults

import (
	"fmt"
	"time"
)

// ClockSkew are clock-skew's parameters: how far the task workers' clock is
// off, given outright (offset: 45s ahead, -45s behind) or as the zone of a
// naive-local column a worker writes UTC into (zone: Europe/Paris).
type ClockSkew struct {
	// Offset is ahead when positive, behind when negative; model time.
	Offset Duration `json:"offset_s"`
	// Zone, when set, is where Offset came from, for the reader; a replay
	// applies Offset as recorded.
	Zone string `json:"zone,omitempty"`
}

func clockSkew() Params { return &ClockSkew{} }

func (*ClockSkew) Fields() []string { return []string{"offset", "zone"} }

func (c *ClockSkew) Set(field, text string) error {
	switch field {
	case "offset":
		d, err := time.ParseDuration(text)
		if err != nil {
			return &FieldError{Field: field, Msg: fmt.Sprintf("%q is not a duration (e.g. 45s ahead, -45s behind)", text)}
		}
		if d == 0 {
			return &FieldError{Field: field, Msg: "is zero: a clock set off by nothing is no fault"}
		}
		c.Offset = Duration(d)
	case "zone":
		if c.Offset != 0 {
			return &FieldError{Field: field, Msg: "and offset both set the clock: give one (zone: a worker writing UTC into a naive-local column of that zone)"}
		}
		off, err := zoneOffset(text)
		if err != nil {
			return &FieldError{Field: field, Msg: err.Error()}
		}
		c.Zone, c.Offset = text, Duration(off)
	default:
		return &FieldError{Field: field, Msg: "is not a parameter of this kind"}
	}
	return nil
}

func (c *ClockSkew) Check(kind string) error {
	if c.Offset == 0 {
		return &FieldError{Field: "offset", Missing: true, Msg: fmt.Sprintf("is required for %s (how far the clock is off: 45s ahead, -45s behind; or zone: Europe/Paris for a worker writing UTC into that zone's naive-local column)", kind)}
	}
	return nil
}

func (c *ClockSkew) String() string {
	s := "offset " + time.Duration(c.Offset).String()
	if c.Zone != "" {
		s += ", UTC written as " + c.Zone + " local time"
	}
	return s
}

// zoneOffset is the skew of a worker that writes UTC wall time into a naive
// local column (Antenna's USE_TZ=False) of a database in zone: everyone else
// reads it as that zone's local time, so it lands behind by the zone's UTC
// offset (ahead, for a zone west of Greenwich). The offset is the zone's
// today; a run does not straddle a DST change in model time worth minding.
func zoneOffset(name string) (time.Duration, error) {
	if name == "" {
		return 0, fmt.Errorf("must be an IANA time zone name, e.g. Europe/Paris or America/Toronto")
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return 0, fmt.Errorf("%q is not a time zone this program knows (%v); use an IANA name such as Europe/Paris", name, err)
	}
	_, east := time.Now().In(loc).Zone()
	if east == 0 {
		return 0, fmt.Errorf("%s is at UTC today: writing UTC as its local time is no mismatch", name)
	}
	return -time.Duration(east) * time.Second, nil
}
