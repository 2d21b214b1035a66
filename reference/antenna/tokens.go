package antenna

import (
	"strconv"
	"strings"
)

// Authorization is the header every request carries.
func Authorization(token string) string { return "Token " + token }

// TokenFrom reads the token out of an Authorization header.
func TokenFrom(header string) (string, bool) {
	tok, ok := strings.CutPrefix(header, "Token ")
	return tok, ok && tok != ""
}

// ServiceToken is the token of one async service (docs/design.md#strategies), as Antenna
// will issue once each service has its own application token.
func ServiceToken(serviceID int64) string { return "svc-" + strconv.FormatInt(serviceID, 10) }

// ServiceOf reads the service a per-service token names.
func ServiceOf(token string) (int64, bool) {
	rest, ok := strings.CutPrefix(token, "svc-")
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseInt(rest, 10, 64)
	if err != nil || id <= 0 {
		return 0, false
	}
	return id, true
}
