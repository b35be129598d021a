package bench

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"testing"

	"connectrpc.com/vanguard/vanguardgrpc"
	"google.golang.org/grpc"

	"github.com/lambdagrpc/lambdagrpc"
	"github.com/lambdagrpc/lambdagrpc/internal/resttest"
	"github.com/lambdagrpc/lambdagrpc/rest"
)

// TestRESTCorpusPeers runs the REST differential corpus against vanguard's
// transcoder and lambdagrpc's handler, each in front of the server that
// grpc-gateway's mux dials, and logs how many requests each answers
// differently from grpc-gateway, and how: the differential half of choosing
// a REST library. lambdagrpc must differ on fewer requests than vanguard.
func TestRESTCorpusPeers(t *testing.T) {
	reqs, err := resttest.LoadCorpus("../internal/resttest/testdata/corpus.json")
	if err != nil {
		t.Fatal(err)
	}
	peers := []struct {
		name  string
		front func(*grpc.Server) resttest.Front
	}{
		{"vanguard", func(srv *grpc.Server) resttest.Front {
			tr, err := vanguardgrpc.NewTranscoder(srv)
			if err != nil {
				t.Fatal(err)
			}
			return resttest.HandlerFront(tr)
		}},
		{"lambdagrpc", func(srv *grpc.Server) resttest.Front {
			return resttest.HandlerFront(lambdagrpc.NewHandler(srv, rest.Enable(), lambdagrpc.WithLogger(slog.New(slog.DiscardHandler))))
		}},
	}
	differ := map[string]int{}
	for _, p := range peers {
		srv := grpc.NewServer()
		resttest.Register(srv)
		front := p.front(srv)
		gateway := resttest.HandlerFront(resttest.Gateway(t, resttest.Serve(t, srv)))
		aspects := map[string]int{}
		for _, r := range reqs {
			want, err := gateway(context.Background(), r)
			if err != nil {
				t.Fatalf("%s: grpc-gateway: %v", r.Name, err)
			}
			got, err := front(context.Background(), r)
			if err != nil {
				t.Fatalf("%s: %s: %v", r.Name, p.name, err)
			}
			ms := resttest.Compare(r, want, got)
			if len(ms) > 0 {
				differ[p.name]++
			}
			for _, m := range ms {
				a, _, _ := strings.Cut(m.Aspect, " Grpc-")
				aspects[a]++
			}
		}
		names := make([]string, 0, len(aspects))
		for a, n := range aspects {
			names = append(names, fmt.Sprintf("%s: %d", a, n))
		}
		sort.Strings(names)
		t.Logf("%s: %d of %d requests differ from grpc-gateway (%s)", p.name, differ[p.name], len(reqs), strings.Join(names, ", "))
	}
	if differ["lambdagrpc"] >= differ["vanguard"] {
		t.Errorf("lambdagrpc differs from grpc-gateway on %d requests, vanguard on %d", differ["lambdagrpc"], differ["vanguard"])
	}
}
