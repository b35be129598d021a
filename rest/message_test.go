package rest_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/stats"

	"github.com/lambdagrpc/lambdagrpc"
	"github.com/lambdagrpc/lambdagrpc/internal/resttest"
	"github.com/lambdagrpc/lambdagrpc/rest"
)

// payloads counts the request messages a stats handler is told of, and
// their encoded lengths.
type payloads struct{ n, bytes atomic.Int64 }

func (p *payloads) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context   { return ctx }
func (p *payloads) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context { return ctx }
func (p *payloads) HandleConn(context.Context, stats.ConnStats)                       {}
func (p *payloads) HandleRPC(_ context.Context, s stats.RPCStats) {
	if in, ok := s.(*stats.InPayload); ok {
		p.n.Add(1)
		p.bytes.Add(int64(in.Length))
	}
}

// A request message handed to the handler unencoded (the direct path,
// no stats handler) meets the server's receive limit as the encoded one
// does, with the same error; a stats handler still hears of its encoded
// length.
func TestRESTRequestMessageLimits(t *testing.T) {
	testMessageLimits(t, 24, grpc.MaxRecvMsgSize(24), "larger than max (")
}

// A response message taken unencoded (the direct path, no stats handler)
// meets the server's send limit as the encoded one does, with the same
// error.
func TestRESTResponseMessageLimits(t *testing.T) {
	testMessageLimits(t, 64, grpc.MaxSendMsgSize(64), "trying to send message larger than max (")
}

// testMessageLimits creates a book whose title is well within limit, then
// one whose title is limit bytes, on a server with opt, on each way to the
// handler: the answers are the same, the second call's an error saying
// tooLarge.
func testMessageLimits(t *testing.T, limit int, opt grpc.ServerOption, tooLarge string) {
	call := func(opts []grpc.ServerOption, hopts []lambdagrpc.Option, title string) (int, string) {
		srv := grpc.NewServer(append(opts, opt)...)
		resttest.Register(srv)
		h := lambdagrpc.NewHandler(srv, append(hopts, rest.Enable(), lambdagrpc.WithLogger(quiet()))...)
		w := exchange{method: "POST", target: "/v1/shelves/1/books?bookId=b1", body: fmt.Sprintf(`{"title":%q}`, title)}.do(h)
		return w.Code, w.Body.String()
	}
	ways := map[string]struct {
		opts  []grpc.ServerOption
		hopts []lambdagrpc.Option
	}{
		"unencoded": {},
		"stats":     {opts: []grpc.ServerOption{grpc.StatsHandler(&payloads{})}},
		"ServeHTTP": {hopts: []lambdagrpc.Option{lambdagrpc.WithServeHTTP()}},
	}
	for _, title := range []string{"t", strings.Repeat("x", limit)} {
		var want string
		for _, name := range []string{"unencoded", "stats", "ServeHTTP"} {
			w := ways[name]
			code, body := call(w.opts, w.hopts, title)
			got := fmt.Sprint(code, " ", body)
			if len(title) > limit/2 && (code != 429 || !strings.Contains(body, tooLarge)) {
				t.Errorf("%s, title %q: %s; want 429, %s", name, title, got, tooLarge)
			}
			if len(title) < limit/2 && code != 200 {
				t.Errorf("%s, title %q: %s; want 200", name, title, got)
			}
			if want == "" {
				want = got
			} else if got != want {
				t.Errorf("%s, title %q: %s\nunencoded: %s", name, title, got, want)
			}
		}
	}
}

// A stats handler is told of a REST call's request message and its
// encoded length.
func TestRESTStatsHandlerSeesMessages(t *testing.T) {
	p := &payloads{}
	srv := grpc.NewServer(grpc.StatsHandler(p))
	resttest.Register(srv)
	h := lambdagrpc.NewHandler(srv, rest.Enable(), lambdagrpc.WithLogger(quiet()))
	if w := (exchange{method: "POST", target: "/v1/shelves/1/books?bookId=b1", body: `{"title":"t"}`}).do(h); w.Code != 200 {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	if p.n.Load() != 1 || p.bytes.Load() == 0 {
		t.Errorf("stats handler told of %d request messages, %d bytes; want 1, more than 0", p.n.Load(), p.bytes.Load())
	}
}
