package api

import (
	"math"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/reference/store"
)

// The page a list request gets, as JobViewSet's paginator and DRF's
// LimitOffsetPagination decide it (views.py:356-381, pagination.py:431-450).
func TestPageOf(t *testing.T) {
	tests := []struct {
		name, query string
		want        listPage
	}{
		{"worker's list: one random job", "ids_only=1&pipeline__slug__in=a",
			listPage{Limit: 1, Order: store.ListRandom}},
		{"ids_only with a limit: that page, still random", "ids_only=1&limit=50",
			listPage{Limit: 50, Order: store.ListRandom}},
		{"ids_only with limit and offset", "ids_only=1&limit=5&offset=10",
			listPage{Limit: 5, Offset: 10, Order: store.ListRandom}},
		{"page_size picks the default paginator, which ignores its value", "ids_only=1&page_size=50",
			listPage{Limit: pageSize, Order: store.ListRandom}},
		{"an invalid limit still picks the default paginator: PAGE_SIZE", "ids_only=1&limit=0",
			listPage{Limit: pageSize, Order: store.ListRandom}},
		{"a limit with no value, the same", "ids_only=1&limit=",
			listPage{Limit: pageSize, Order: store.ListRandom}},
		{"a negative limit is the default", "ids_only=1&limit=-3",
			listPage{Limit: pageSize, Order: store.ListRandom}},
		{"a limit that is not a number is the default", "ids_only=1&limit=ten",
			listPage{Limit: pageSize, Order: store.ListRandom}},
		{"offset without limit: one job from there", "ids_only=1&offset=2",
			listPage{Limit: 1, Offset: 2, Order: store.ListRandom}},
		{"ids_only=0 is the normal list", "ids_only=0",
			listPage{Limit: pageSize, Order: store.ListNewest}},
		{"no ids_only: PAGE_SIZE, newest first", "pipeline__slug__in=a",
			listPage{Limit: pageSize, Order: store.ListNewest}},
		{"no ids_only with a limit", "limit=3&offset=3",
			listPage{Limit: 3, Offset: 3, Order: store.ListNewest}},
		{"a negative or garbled offset is 0", "limit=3&offset=-1",
			listPage{Limit: 3, Order: store.ListNewest}},
		{"the last of a repeated limit counts", "limit=3&limit=7",
			listPage{Limit: 7, Order: store.ListNewest}},
		{"Python's int(): spaces, sign and underscores", "limit=+1_000%20",
			listPage{Limit: 1000, Order: store.ListNewest}},
		{"a limit past int64 is clamped, not an error", "limit=99999999999999999999999",
			listPage{Limit: math.MaxInt64, Order: store.ListNewest}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q, err := url.ParseQuery(tc.query)
			require.NoError(t, err)
			lq, err := DecodeList(q)
			require.NoError(t, err)
			require.Equal(t, tc.want, lq.Page)
		})
	}
}

func TestPyInt(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"5", 5, true}, {" 5\t", 5, true}, {"+5", 5, true}, {"-5", -5, true}, {"1_0", 10, true}, {"007", 7, true},
		{"", 0, false}, {" ", 0, false}, {"+", 0, false}, {"_1", 0, false}, {"1_", 0, false}, {"1__0", 0, false},
		{"1.5", 0, false}, {"1e3", 0, false}, {"0x10", 0, false}, {"1 2", 0, false}, {"--1", 0, false},
	}
	for _, tc := range tests {
		n, ok := pyInt(tc.in)
		require.Equal(t, tc.ok, ok, "%q", tc.in)
		if ok {
			require.Equal(t, tc.want, n, "%q", tc.in)
		}
	}
}

// url_boolean_param: present without a value is true, "false" and "0" are
// false, anything else is true; it never fails.
func TestURLBool(t *testing.T) {
	tests := []struct {
		query string
		want  bool
	}{
		{"", false}, {"ids_only", true}, {"ids_only=", true}, {"ids_only=1", true}, {"ids_only=true", true},
		{"ids_only=yes", true}, {"ids_only=maybe", true}, {"ids_only=0", false}, {"ids_only=false", false},
		{"ids_only=FALSE", false}, {"ids_only=1&ids_only=0", false},
	}
	for _, tc := range tests {
		q, err := url.ParseQuery(tc.query)
		require.NoError(t, err)
		require.Equal(t, tc.want, urlBool(q, "ids_only"), "%q", tc.query)
	}
}

// What decides the heartbeat is read even when a later parameter is bad:
// the view heartbeats before its queryset validates them.
func TestDecodeListReadsTheHeartbeatFirst(t *testing.T) {
	tests := []struct {
		name, query string
		want        ListQuery
		bad         bool
	}{
		{"slugs", "ids_only=1&pipeline__slug__in=b,%20a,,b",
			ListQuery{IDsOnly: true, SlugsGiven: true, Slugs: []string{"b", "a", "b"}}, false},
		{"only commas: slugs given, none to mark", "ids_only=1&pipeline__slug__in=,,",
			ListQuery{IDsOnly: true, SlugsGiven: true}, false},
		{"bad dispatch_mode after slugs", "ids_only=1&pipeline__slug__in=a&dispatch_mode=smoke",
			ListQuery{IDsOnly: true, SlugsGiven: true, Slugs: []string{"a"}}, true},
		{"bad dispatch_mode after a project", "ids_only=1&project_id=4&dispatch_mode=smoke",
			ListQuery{IDsOnly: true, ProjectID: 4}, true},
		{"bad project", "ids_only=1&project_id=x",
			ListQuery{IDsOnly: true}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q, err := url.ParseQuery(tc.query)
			require.NoError(t, err)
			lq, err := DecodeList(q)
			require.Equal(t, tc.bad, err != nil, "%v", err)
			lq.Page = listPage{}
			require.Equal(t, tc.want, lq)
		})
	}
}

// The links are DRF's: the request's URL with limit and offset replaced and
// the query sorted; none past either end; the first page's previous drops
// offset.
func TestPageLinks(t *testing.T) {
	const base = "http://ref:8000/api/v2/jobs/"
	tests := []struct {
		name, query    string
		count          int64
		next, previous string // "" = null
	}{
		{"one random job of three", "ids_only=1&pipeline__slug__in=a,b", 3,
			base + "?ids_only=1&limit=1&offset=1&pipeline__slug__in=a%2Cb", ""},
		{"the only page", "ids_only=1&limit=10", 3, "", ""},
		{"exactly one page", "limit=3", 3, "", ""},
		{"first of several", "limit=2", 5, base + "?limit=2&offset=2", ""},
		{"middle", "limit=2&offset=2", 5, base + "?limit=2&offset=4", base + "?limit=2"},
		{"last", "limit=2&offset=4", 5, "", base + "?limit=2&offset=2"},
		{"past the end", "limit=2&offset=9", 5, "", base + "?limit=2&offset=7"},
		{"offset inside the first page", "limit=4&offset=1", 9, base + "?limit=4&offset=5", base + "?limit=4"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", base+"?"+tc.query, nil)
			lq, err := DecodeList(r.URL.Query())
			require.NoError(t, err)
			next, previous := lq.Page.links(r, tc.count)
			require.Equal(t, tc.next, deref(next), "next")
			require.Equal(t, tc.previous, deref(previous), "previous")
		})
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
