package antenna

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestGateKeysAsAntennaSpellsThem(t *testing.T) {
	require.Equal(t, "heartbeat:pipeline:2:project:7", JobKey(2, 7))
	require.Equal(t, "heartbeat:list:pipelines:a,b", PipelinesKey([]string{"b", "a"}), "sorted")
	require.Equal(t, "heartbeat:list:pipelines:a,b,b", PipelinesKey([]string{"b", "a", "b"}),
		"sorted, duplicates kept: views.py:78 does not de-duplicate")
	require.Equal(t, "heartbeat:list:project:7", ProjectKey(7))
	require.Equal(t, "heartbeat:service:12", ServiceKey(12))
}

func TestTokens(t *testing.T) {
	tok, ok := TokenFrom(Authorization("abc"))
	require.True(t, ok)
	require.Equal(t, "abc", tok)
	for _, bad := range []string{"", "Token ", "Bearer abc", "token abc"} {
		_, ok := TokenFrom(bad)
		require.False(t, ok, "%q", bad)
	}
	id, ok := ServiceOf(ServiceToken(42))
	require.True(t, ok)
	require.Equal(t, int64(42), id)
	for _, bad := range []string{"svc-", "svc-0", "svc--3", "svc-x", "dev-token", "svc-9999999999999999999"} {
		_, ok := ServiceOf(bad)
		require.False(t, ok, "%q", bad)
	}
}
