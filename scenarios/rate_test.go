package scenarios

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseRate(t *testing.T) {
	tests := []struct {
		in      string
		per     float64
		str     string
		wantErr string
	}{
		{in: "2000/s", per: 2000, str: "2000/s"},
		{in: "120/m", per: 2, str: "2/s"},
		{in: "1/m", per: 1.0 / 60, str: "1/m"},
		{in: "0.5/s", per: 0.5, str: "30/m"},
		{in: "1e3 / s", per: 1000, str: "1000/s"},
		{in: "7/m", per: 7.0 / 60, str: "7/m"},
		{in: "2000", wantErr: "has no unit"},
		{in: "2000/h", wantErr: "unit after / must be s or m"},
		{in: "fast/s", wantErr: `"fast" is not a number`},
		{in: "inf/s", wantErr: "is not a number"},
		{in: "NaN/s", wantErr: "is not a number"},
		{in: "0x10/s", wantErr: "is not a number"},
		{in: "0/s", wantErr: "more than zero"},
		{in: "-5/s", wantErr: "more than zero"},
		{in: "5e-324/m", wantErr: "out of range"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			r, err := parseRate(tc.in)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.InDelta(t, tc.per, r.Per, 1e-12)
			require.Equal(t, tc.str, r.String())
			back, err := parseRate(r.String())
			require.NoError(t, err)
			require.InDelta(t, r.Per, back.Per, 1e-9*r.Per, "String() must read back as the same rate")
		})
	}
}

func TestRateStringOddValue(t *testing.T) {
	r := Rate{Per: 0.123456789}
	back, err := parseRate(r.String())
	require.NoError(t, err)
	require.InDelta(t, r.Per, back.Per, 1e-15)
}
