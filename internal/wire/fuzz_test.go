package wire

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"math"
	"strings"
	"testing"
	"time"
)

func FuzzReader(f *testing.F) {
	f.Add(AppendFrame(nil, 0, []byte("hello")))
	f.Add([]byte{0, 0, 0, 0, 10, 1})
	f.Add([]byte{0x80, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewReader(bytes.NewReader(data), 1<<16)
		consumed := 0
		for {
			flags, payload, err := r.Next()
			if err != nil {
				var tl *FrameTooLargeError
				if !errors.Is(err, io.EOF) && !errors.Is(err, ErrTruncated) && !errors.As(err, &tl) {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			// Every frame read must be exactly what the bytes said.
			want := AppendFrame(nil, flags, payload)
			if !bytes.Equal(data[consumed:consumed+len(want)], want) {
				t.Fatalf("frame does not match its bytes")
			}
			consumed += len(want)
		}
	})
}

func FuzzNextFrame(f *testing.F) {
	f.Add(AppendFrame(AppendFrame(nil, 0, []byte("a")), 0x80, []byte("grpc-status: 0\r\n")))
	f.Fuzz(func(t *testing.T, data []byte) {
		for len(data) > 0 {
			_, payload, rest, ok, err := NextFrame(data, 1<<20)
			if err != nil || !ok {
				return
			}
			if len(rest)+len(payload)+HeaderLen != len(data) {
				t.Fatalf("lengths do not add up")
			}
			data = rest
		}
	})
}

func FuzzTextReader(f *testing.F) {
	f.Add([]byte("AAAAAAYaBBICaGk="), 3)
	f.Add([]byte("AA==AAAA"), 1)
	f.Add([]byte("!!!!"), 2)
	f.Fuzz(func(t *testing.T, data []byte, chunk int) {
		if chunk <= 0 || chunk > 64 {
			chunk = 7
		}
		got, err := io.ReadAll(NewTextReader(&chunkReader{data: data, n: chunk}))
		want, werr := DecodeText(nil, data)
		if (err == nil) != (werr == nil) {
			t.Fatalf("streaming error %v, whole error %v", err, werr)
		}
		if err == nil && !bytes.Equal(got, want) {
			t.Fatalf("streaming and whole decoding differ")
		}
		if werr == nil && len(data) > 0 && !bytes.Contains(data, []byte("=")) {
			if std, err := base64.StdEncoding.DecodeString(string(data)); err == nil && !bytes.Equal(std, want) {
				t.Fatalf("differs from encoding/base64")
			}
		}
	})
}

type chunkReader struct {
	data []byte
	n    int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := min(c.n, len(p), len(c.data))
	copy(p, c.data[:n])
	c.data = c.data[n:]
	return n, nil
}

func FuzzParseTimeout(f *testing.F) {
	for _, s := range []string{"1S", "100m", "99999999H", "0n", "", "1x", "123456789S"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseTimeout(s)
		if err != nil {
			return
		}
		if d < 0 {
			t.Fatalf("ParseTimeout(%q) = %v, negative", s, d)
		}
		checkFormatTimeout(t, d)
	})
}

// FuzzFormatTimeout formats durations from the whole int64 range, where
// FuzzParseTimeout's parsed values only reach a few of them.
func FuzzFormatTimeout(f *testing.F) {
	for _, d := range []int64{0, 1, -1, 99999999, 100000000, int64(time.Hour), math.MaxInt64, math.MaxInt64 - int64(time.Hour) + 2, math.MinInt64} {
		f.Add(d)
	}
	f.Fuzz(func(t *testing.T, d int64) {
		checkFormatTimeout(t, time.Duration(d))
	})
}

// checkFormatTimeout checks that FormatTimeout(d) is a grpc-timeout that
// parses back to a deadline no shorter than d, and no longer than d plus
// one of its unit, or to the longest one (for the largest durations); and
// that its unit is the finest one that fits in eight digits, as grpc-go
// formats its own.
func checkFormatTimeout(t *testing.T, d time.Duration) {
	s := FormatTimeout(d)
	back, err := ParseTimeout(s)
	if err != nil {
		t.Fatalf("FormatTimeout(%d) = %q, which does not parse: %v", int64(d), s, err)
	}
	if d <= 0 {
		if s != "0n" {
			t.Fatalf("FormatTimeout(%d) = %q, want 0n", int64(d), s)
		}
		return
	}
	if back < d {
		t.Fatalf("FormatTimeout(%d) = %q, which parses to %d: a shorter deadline", int64(d), s, int64(back))
	}
	units := "numSMH"
	i := strings.IndexByte(units, s[len(s)-1])
	unit := []time.Duration{time.Nanosecond, time.Microsecond, time.Millisecond, time.Second, time.Minute, time.Hour}[i]
	if back != math.MaxInt64 && back-d >= unit {
		t.Fatalf("FormatTimeout(%d) = %q, which parses to %d: rounded up by a whole %c or more", int64(d), s, int64(back), units[i])
	}
	if i > 0 {
		finer := []time.Duration{time.Nanosecond, time.Microsecond, time.Millisecond, time.Second, time.Minute}[i-1]
		if n := d / finer; n < 99999999 || n == 99999999 && d%finer == 0 {
			t.Fatalf("FormatTimeout(%d) = %q, but %d%c fits", int64(d), s, n+min(d%finer, 1), units[i-1])
		}
	}
}

func FuzzParseConnectTimeout(f *testing.F) {
	f.Add("1000")
	f.Add("99999999999")
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseConnectTimeout(s)
		if err == nil && (d < 0 || d > 9999999999*time.Millisecond) {
			t.Fatalf("ParseConnectTimeout(%q) = %v", s, d)
		}
	})
}

func FuzzParseTrailerBlock(f *testing.F) {
	f.Add([]byte("grpc-status: 0\r\ngrpc-message: ok\r\n"))
	f.Add([]byte("bad"))
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := ParseTrailerBlock(data)
		if err != nil {
			return
		}
		// What parses, re-encodes and parses to the same header.
		h2, err := ParseTrailerBlock(AppendTrailerBlock(nil, h))
		if err != nil {
			t.Fatalf("re-encoded block does not parse: %v", err)
		}
		if len(h2) > len(h) {
			t.Fatalf("re-encoding grew the header: %v -> %v", h, h2)
		}
		_, _, _ = StatusFromHeader(h)
	})
}

func FuzzMessage(f *testing.F) {
	f.Add("100% sure")
	f.Add("héllo\n")
	f.Fuzz(func(t *testing.T, s string) {
		enc := EncodeMessage(s)
		for i := 0; i < len(enc); i++ {
			if enc[i] < 0x20 || enc[i] > 0x7e {
				t.Fatalf("encoded message has byte %#x", enc[i])
			}
		}
		if got := DecodeMessage(enc); got != s && (got == "" || isValidUTF8(s)) {
			t.Fatalf("DecodeMessage(EncodeMessage(%q)) = %q", s, got)
		}
		_ = DecodeMessage(s)
	})
}

func isValidUTF8(s string) bool { return string([]rune(s)) == s }

func FuzzConnectError(f *testing.F) {
	f.Add([]byte(`{"code":"not_found","message":"x","details":[{"type":"google.rpc.ErrorInfo","value":"CgFh"}]}`))
	f.Add([]byte(`{"code":"nope"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var e ConnectError
		if json.Unmarshal(data, &e) != nil {
			return
		}
		st, err := e.Status()
		if err != nil {
			return
		}
		if st.Code() == 0 {
			t.Fatalf("a Connect error became OK: %s", data)
		}
		back := NewConnectError(st)
		if back.Code != ConnectCodeName(st.Code()) {
			t.Fatalf("code %q did not round-trip", e.Code)
		}
	})
}

func FuzzMethodIdempotency(f *testing.F) {
	f.Add("/grpc.testing.TestService/UnaryCall")
	f.Add("/grpc.testing/TestService")
	f.Add("/google.protobuf/Any")
	f.Fuzz(func(t *testing.T, path string) {
		if got := MethodIdempotency(path); got < UnknownMethod || got > OptionsUnreadable {
			t.Fatalf("MethodIdempotency(%q) = %d", path, got)
		}
	})
}

// FuzzSplitWeb: any body is split or refused without a panic, and a body
// built from messages and a trailer block splits back into them.
func FuzzSplitWeb(f *testing.F) {
	f.Add([]byte{}, []byte("x"), "grpc-status: 0\r\n")
	f.Add([]byte{0, 0, 0, 0, 9}, []byte{}, "")
	f.Fuzz(func(t *testing.T, raw, msg []byte, block string) {
		_, _, _ = SplitWeb(raw)
		h, err := ParseTrailerBlock([]byte(block))
		if err != nil {
			return
		}
		body := AppendFrame(AppendFrame(nil, 0, msg), FlagWebTrailer, AppendTrailerBlock(nil, h))
		msgs, trailer, err := SplitWeb(body)
		if err != nil || len(msgs) != 1 || !bytes.Equal(msgs[0], msg) || trailer == nil {
			t.Fatalf("SplitWeb(%q) = %q, %v, %v", body, msgs, trailer, err)
		}
	})
}
