package scenarios

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Rate is an open-model arrival rate in requests per MODEL second. Files write
// it as "2000/s" or "120/m".
type Rate struct {
	Per float64
}

// String writes the rate the way a file would, preferring /s and falling back
// to /m when that is the exact form (1/m rather than 0.016666666666666666/s).
func (r Rate) String() string {
	if r.Per == math.Trunc(r.Per) {
		return strconv.FormatFloat(r.Per, 'f', -1, 64) + "/s"
	}
	perMin := r.Per * 60
	if rounded := math.Round(perMin); math.Abs(perMin-rounded) < 1e-9*max(1, rounded) {
		return strconv.FormatFloat(rounded, 'f', -1, 64) + "/m"
	}
	return strconv.FormatFloat(r.Per, 'g', -1, 64) + "/s"
}

// parseRate reads "N/s" or "N/m" with N a positive finite number.
func parseRate(s string) (Rate, error) {
	num, unit, ok := strings.Cut(s, "/")
	if !ok {
		return Rate{}, fmt.Errorf("%q has no unit (write it like 2000/s or 120/m)", s)
	}
	num, unit = strings.TrimSpace(num), strings.TrimSpace(unit)
	var per float64
	switch unit {
	case "s":
		per = 1
	case "m":
		per = 1.0 / 60
	default:
		return Rate{}, fmt.Errorf("%q: the unit after / must be s or m (write it like 2000/s or 120/m)", s)
	}
	n, err := strconv.ParseFloat(num, 64)
	if err != nil || math.IsInf(n, 0) || math.IsNaN(n) || strings.ContainsAny(num, "xXpP_") {
		return Rate{}, fmt.Errorf("%q: %q is not a number (write it like 2000/s or 120/m)", s, num)
	}
	if n <= 0 {
		return Rate{}, fmt.Errorf("%q must be more than zero", s)
	}
	r := Rate{Per: n * per}
	if r.Per == 0 || math.IsInf(r.Per, 0) {
		return Rate{}, fmt.Errorf("%q is out of range", s)
	}
	return r, nil
}
