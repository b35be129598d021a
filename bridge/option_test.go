package bridge_test

import (
	"strings"
	"testing"

	"google.golang.org/grpc"

	"github.com/lambdagrpc/lambdagrpc/bridge"
	"github.com/lambdagrpc/lambdagrpc/client"
)

// TestNewReportsBadOptions checks that options which would be silently
// ignored, replaced or only fail later are reported by New, by name.
func TestNewReportsBadOptions(t *testing.T) {
	t.Parallel()
	up, err := client.New("http://example.invalid")
	if err != nil {
		t.Fatal(err)
	}
	var nilConn grpc.ClientConnInterface
	cases := []struct {
		name     string
		upstream grpc.ClientConnInterface
		opts     []bridge.Option
		want     []string
	}{
		{"no upstream at all", nil, nil, []string{"upstream", "WithService"}},
		{"zero request limit", up, []bridge.Option{bridge.WithMaxRequestBytes(0)}, []string{"WithMaxRequestBytes(0)"}},
		{"negative request limit", up, []bridge.Option{bridge.WithMaxRequestBytes(-5)}, []string{"WithMaxRequestBytes(-5)"}},
		{"negative response limit", up, []bridge.Option{bridge.WithMaxResponseBytes(-1)}, []string{"WithMaxResponseBytes(-1)"}},
		{"nil logger", up, []bridge.Option{bridge.WithLogger(nil)}, []string{"WithLogger(nil)"}},
		{"service twice", up, []bridge.Option{bridge.WithService("a.B", "one", up), bridge.WithService("a.B", "two", up)}, []string{"WithService", "a.B", "twice"}},
		{"service without a name", up, []bridge.Option{bridge.WithService("", "x", up)}, []string{"WithService", "service"}},
		{"service given as a method", up, []bridge.Option{bridge.WithService("/a.B/C", "x", up)}, []string{"WithService", "/a.B/C"}},
		{"service without a connection", up, []bridge.Option{bridge.WithService("a.B", "x", nilConn)}, []string{"WithService", "a.B", "nil"}},
		{"per-message service name", up, []bridge.Option{bridge.WithPerMessage("a.B/C")}, []string{"WithPerMessage", "a.B/C", "/package.Service/Method"}},
		{"nil server option", up, []bridge.Option{bridge.WithServerOptions(nil)}, []string{"WithServerOptions", "nil"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b, err := bridge.New(tc.upstream, tc.opts...)
			if err == nil {
				b.Stop()
				t.Fatalf("New(%s) = nil error, want one naming %q", tc.name, tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("New(%s) = %q, want it to contain %q", tc.name, err, w)
				}
			}
		})
	}
	// What is meant to work.
	for _, opts := range [][]bridge.Option{
		{bridge.WithMaxResponseBytes(0), bridge.WithMaxRequestBytes(1), bridge.WithPerMessage("/a.B/C")},
		{bridge.WithService("a.B", "x", up), bridge.WithService("c.D", "y", up), nil},
	} {
		b, err := bridge.New(up, opts...)
		if err != nil {
			t.Errorf("New = %v, want no error", err)
			continue
		}
		b.Stop()
	}
	if b, err := bridge.New(nil, bridge.WithService("a.B", "x", up)); err != nil {
		t.Errorf("New(nil, WithService) = %v: services alone need no default upstream", err)
	} else {
		b.Stop()
	}
}
