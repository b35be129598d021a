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
// fits in eight digits, rounding up so that a deadline is never shortened
// by the conversion, as grpc-go formats its own. Durations below one
// nanosecond become "0n". The largest durations become 2562048H, which
// ParseTimeout (like grpc-go) reads back as the longest Duration.
func FormatTimeout(d time.Duration) string {
	if d <= 0 {
		return "0n"
	}
	const maxDigits = 99999999
	for _, u := range []struct {
		d    time.Duration
		unit byte
	}{{time.Nanosecond, 'n'}, {time.Microsecond, 'u'}, {time.Millisecond, 'm'}, {time.Second, 'S'}, {time.Minute, 'M'}} {
		if v := ceilDiv(d, u.d); v <= maxDigits {
			return strconv.FormatInt(v, 10) + string(u.unit)
		}
	}
	// At most ceil(MaxInt64 / 1h) = 2562048: hours always fit.
	return strconv.FormatInt(ceilDiv(d, time.Hour), 10) + "H"
}

// ceilDiv returns d/u rounded up, for d > 0. (d+u-1)/u would overflow for d
// within a unit of MaxInt64 and come out negative.
func ceilDiv(d, u time.Duration) int64 {
	v := int64(d / u)
	if d%u != 0 {
		v++
	}
	return v
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
