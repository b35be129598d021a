package wire

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"
)

// ParseTimeout parses a grpc-timeout value: one to eight ASCII digits and a
// unit (H, M, S, m, u, n).
func ParseTimeout(s string) (time.Duration, error) {
	if len(s) < 2 || len(s) > 9 {
		return 0, fmt.Errorf("grpc-timeout %q must be 1 to 8 digits and a unit", s)
	}
	var unit time.Duration
	switch s[len(s)-1] {
	case 'H':
		unit = time.Hour
	case 'M':
		unit = time.Minute
	case 'S':
		unit = time.Second
	case 'm':
		unit = time.Millisecond
	case 'u':
		unit = time.Microsecond
	case 'n':
		unit = time.Nanosecond
	default:
		return 0, fmt.Errorf("grpc-timeout %q has unknown unit %q", s, s[len(s)-1])
	}
	var v int64
	for _, c := range []byte(s[:len(s)-1]) {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("grpc-timeout %q is not a number followed by a unit", s)
		}
		v = v*10 + int64(c-'0')
	}
	if v > math.MaxInt64/int64(unit) {
		return math.MaxInt64, nil
	}
	return time.Duration(v) * unit, nil
}

// FormatTimeout formats d as a grpc-timeout value in the finest unit that
// fits in eight digits. Durations below one nanosecond become "0n".
func FormatTimeout(d time.Duration) string {
	if d <= 0 {
		return "0n"
	}
	const maxDigits = 99999999
	for _, u := range []struct {
		d    time.Duration
		unit byte
	}{{time.Nanosecond, 'n'}, {time.Microsecond, 'u'}, {time.Millisecond, 'm'}, {time.Second, 'S'}, {time.Minute, 'M'}} {
		// Round up so a deadline is never shortened by the conversion.
		v := (d + u.d - 1) / u.d
		if v <= maxDigits {
			return strconv.FormatInt(int64(v), 10) + string(u.unit)
		}
	}
	v := min((d+time.Hour-1)/time.Hour, maxDigits)
	return strconv.FormatInt(int64(v), 10) + "H"
}

// ErrConnectTimeout reports a malformed connect-timeout-ms header.
var ErrConnectTimeout = errors.New("connect-timeout-ms must be 1 to 10 ASCII digits")

// ParseConnectTimeout parses a connect-timeout-ms value.
func ParseConnectTimeout(s string) (time.Duration, error) {
	if len(s) == 0 || len(s) > 10 {
		return 0, ErrConnectTimeout
	}
	var v int64
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return 0, ErrConnectTimeout
		}
		v = v*10 + int64(c-'0')
	}
	return time.Duration(v) * time.Millisecond, nil
}

// FormatConnectTimeout formats d as a connect-timeout-ms value, rounding up
// and capping at ten digits.
func FormatConnectTimeout(d time.Duration) string {
	ms := max((d+time.Millisecond-1)/time.Millisecond, 0)
	return strconv.FormatInt(min(int64(ms), 9999999999), 10)
}
