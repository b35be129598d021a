package resttest_test

import (
	"context"
	"fmt"
	"testing"

	"google.golang.org/grpc"

	"github.com/lambdagrpc/lambdagrpc"
	"github.com/lambdagrpc/lambdagrpc/internal/resttest"
	"github.com/lambdagrpc/lambdagrpc/rest"
)

// subject is one of lambdagrpc's REST front ends, reached one way.
type subject struct {
	name string
	// front builds the front end on srv, on which the Library is
	// registered and which is not serving yet.
	front func(t testing.TB, srv *grpc.Server) resttest.Front
}

// subjects are lambdagrpc's REST path as an http.Handler (what TCP mode
// and the emulator's HTTP door serve) and as a Lambda event handler fed
// Function URL events.
var subjects = []subject{
	{"handler", func(_ testing.TB, srv *grpc.Server) resttest.Front {
		return resttest.HandlerFront(lambdagrpc.NewHandler(srv, rest.Enable()))
	}},
	{"event", func(_ testing.TB, srv *grpc.Server) resttest.Front {
		return resttest.EventFront(lambdagrpc.NewEventHandler(srv, rest.Enable()).Invoke)
	}},
}

// known names a difference: a subject ("*" for all), a corpus request,
// and the aspect of Mismatch that differs.
type known struct{ subject, request, aspect string }

// knownDifferences are the differences from grpc-gateway kept on purpose,
// each with its reason. The test fails on any other difference, and on an
// entry here that no longer happens.
var knownDifferences = map[known]string{
	{"event", "metadata-trailer-te", "trailer Grpc-Trailer-X-Echo-Trailer"}:        noTrailers,
	{"event", "metadata-error-te", "trailer Grpc-Trailer-X-Echo-Trailer"}:          noTrailers,
	{"event", "metadata-error-te", "trailer Grpc-Trailer-Grpc-Status-Details-Bin"}: noTrailers,
}

// noTrailers: grpc-gateway sends Grpc-Trailer-* as HTTP trailers when the
// request accepts them (TE: trailers); a Lambda response document has no
// trailers to carry them in.
const noTrailers = "a Lambda response document cannot carry HTTP trailers"

// pair is a subject and grpc-gateway's mux, in front of the same server.
type pair struct {
	subject, gateway resttest.Front
}

func newPair(t testing.TB, s subject) pair {
	t.Helper()
	srv := grpc.NewServer()
	resttest.Register(srv)
	front := s.front(t, srv)
	addr := resttest.Serve(t, srv)
	return pair{subject: front, gateway: resttest.HandlerFront(resttest.Gateway(t, addr))}
}

// TestRESTMatchesGateway sends every request of the corpus to grpc-gateway's
// generated mux and to each of lambdagrpc's REST front ends, all in front
// of the same *grpc.Server, and compares the answers (resttest.Compare).
func TestRESTMatchesGateway(t *testing.T) {
	reqs := loadCorpus(t)
	ctx := context.Background()
	for _, s := range subjects {
		t.Run(s.name, func(t *testing.T) {
			p := newPair(t, s)
			seen := map[known]bool{}
			for _, r := range reqs {
				want, err := p.gateway(ctx, r)
				if err != nil {
					t.Fatalf("%s: grpc-gateway: %v", r.Name, err)
				}
				if want.Status != r.Status {
					t.Errorf("%s: grpc-gateway answers %d, the corpus says %d", r.Name, want.Status, r.Status)
				}
				got, err := p.subject(ctx, r)
				if err != nil {
					t.Errorf("%s %s (%s): %v", r.Method, r.Target, r.Name, err)
					continue
				}
				ms := resttest.Compare(r, want, got)
				for _, m := range ms {
					k := known{s.name, r.Name, m.Aspect}
					reason, ok := knownDifferences[k]
					if !ok {
						k.subject = "*"
						reason, ok = knownDifferences[k]
					}
					if ok {
						seen[k] = true
						t.Logf("%s: known difference (%s): %s", r.Name, reason, m)
						continue
					}
					t.Errorf("%s %s (%s): %s", r.Method, r.Target, r.Name, m)
				}
			}
			for k, reason := range knownDifferences {
				if (k.subject == s.name || k.subject == "*") && !seen[k] {
					t.Errorf("knownDifferences lists %s for %s (%s), which no longer differs: remove it", k.aspect, k.request, reason)
				}
			}
		})
	}
}

// String is for test logs.
func (k known) String() string { return fmt.Sprintf("%s/%s/%s", k.subject, k.request, k.aspect) }
