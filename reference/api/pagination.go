package api

import (
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/hbharness/hbharness/reference/store"
)

// pageSize is REST_FRAMEWORK["PAGE_SIZE"] (config/settings/base.py:508 at
// 731cc2a2): the default limit of DEFAULT_PAGINATION_CLASS (base.py:507),
// LimitOffsetPaginationWithPermissions, which is DRF's LimitOffsetPagination
// with no max_limit.
const pageSize = 10

// listPage is the page of the jobs list a request asks for, as JobViewSet's
// paginator and get_queryset decide it (ami/jobs/views.py at 731cc2a2).
type listPage struct {
	Limit, Offset int64
	Order         store.ListOrder
}

// pageOf reads the page from the query. With ids_only on the list the
// order is random (views.py:352-353); and when neither limit nor page_size
// is in the query the paginator's default_limit is 1 (views.py:370-378): one
// random job per answer, the worker's claim-next-job. Any other list uses
// the default paginator, whose default_limit is PAGE_SIZE. page_size only
// chooses which paginator: LimitOffsetPagination never reads it, so
// ids_only=1&page_size=50 answers PAGE_SIZE jobs. Then DRF's get_limit and
// get_offset (rest_framework/pagination.py:431-450, 3.14.0): a limit that is
// not a positive integer is the default, an offset that is not a
// non-negative integer is 0; neither is an error.
func pageOf(q url.Values, idsOnly bool) listPage {
	p := listPage{Limit: pageSize, Order: store.ListNewest}
	if idsOnly {
		p.Order = store.ListRandom
		if !q.Has("limit") && !q.Has("page_size") {
			p.Limit = 1
		}
	}
	if n, ok := pyInt(lastParam(q, "limit")); ok && n > 0 {
		p.Limit = n
	}
	if n, ok := pyInt(lastParam(q, "offset")); ok && n >= 0 {
		p.Offset = n
	}
	return p
}

// lastParam is request.query_params[name]: Django's QueryDict gives the
// last of a repeated parameter ("" when absent).
func lastParam(q url.Values, name string) string {
	vs := q[name]
	if len(vs) == 0 {
		return ""
	}
	return vs[len(vs)-1]
}

// pyInt is Python's int() on a query value, as _positive_int calls it:
// surrounding whitespace, a sign, and single underscores between digits are
// allowed. Python's integers have no bound; one past int64 is clamped, a
// limit no list reaches. (int() also takes non-ASCII digits; no client sends
// them.)
func pyInt(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg, s = s[0] == '-', s[1:]
	}
	if s == "" || s[0] == '_' || s[len(s)-1] == '_' || strings.Contains(s, "__") {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '_' {
			continue
		}
		if c < '0' || c > '9' {
			return 0, false
		}
		if n > (math.MaxInt64-int64(c-'0'))/10 {
			n = math.MaxInt64
			continue
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

// links are the page's next and previous links (LimitOffsetPagination.
// get_next_link and get_previous_link, pagination.py:452-473, 3.14.0): the
// request's absolute URL with limit and offset replaced, none past either
// end; the first page's previous link drops offset.
func (p listPage) links(r *http.Request, count int64) (next, previous *string) {
	if p.Offset+p.Limit < count {
		u := replaceParams(r, map[string]string{"limit": strconv.FormatInt(p.Limit, 10),
			"offset": strconv.FormatInt(p.Offset+p.Limit, 10)}, "")
		next = &u
	}
	if p.Offset > 0 {
		set := map[string]string{"limit": strconv.FormatInt(p.Limit, 10)}
		drop := "offset"
		if p.Offset-p.Limit > 0 {
			set["offset"], drop = strconv.FormatInt(p.Offset-p.Limit, 10), ""
		}
		u := replaceParams(r, set, drop)
		previous = &u
	}
	return next, previous
}

// replaceParams is DRF's replace_query_param and remove_query_param
// (rest_framework/utils/urls.py) on request.build_absolute_uri(): the query
// parsed with blank values kept, the parameters set or dropped, re-encoded
// sorted by name.
func replaceParams(r *http.Request, set map[string]string, drop string) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	q, _ := url.ParseQuery(r.URL.RawQuery) // what parses is kept, as parse_qs does
	for k, v := range set {
		q.Set(k, v)
	}
	if drop != "" {
		q.Del(drop)
	}
	u := url.URL{Scheme: scheme, Host: r.Host, Path: r.URL.Path, RawQuery: q.Encode()}
	return u.String()
}
