package wire

import (
	"math"
	"testing"
	"time"
)

// TestFormatTimeout covers the rounding and the top of the range, where
// FormatTimeout used to overflow: FormatTimeout(math.MaxInt64) returned
// "-9223372036854774u", which grpc-go refuses, so a legal grpc-timeout of
// 99999999H failed on the ServeHTTP path.
func TestFormatTimeout(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{-1, "0n"},
		{0, "0n"},
		{1, "1n"},
		{99999999, "99999999n"},
		{100000000, "100000u"},
		{100000001, "100001u"},
		{time.Hour, "3600000m"},
		{99999999 * time.Minute, "99999999M"},
		{99999999*time.Minute + 1, "1666667H"},
		// Above MaxInt64 - 1h, adding a unit less a nanosecond to round up
		// overflowed: first in the hours, then in the minutes, then in the
		// microseconds.
		{math.MaxInt64 - time.Hour, "2562047H"},
		{math.MaxInt64 - time.Hour + 2, "2562047H"},
		{math.MaxInt64 - time.Minute + 2, "2562048H"},
		{math.MaxInt64 - 998, "2562048H"},
		{math.MaxInt64, "2562048H"},
	} {
		got := FormatTimeout(tc.d)
		if got != tc.want {
			t.Errorf("FormatTimeout(%d) = %q, want %q", int64(tc.d), got, tc.want)
		}
		if back, err := ParseTimeout(got); err != nil || back < tc.d {
			t.Errorf("ParseTimeout(FormatTimeout(%d) = %q) = %d, %v: want at least the input", int64(tc.d), got, int64(back), err)
		}
	}
}
