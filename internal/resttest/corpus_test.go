package resttest_test

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"sync"
	"testing"

	"google.golang.org/grpc"

	"github.com/lambdagrpc/lambdagrpc/internal/resttest"
	"github.com/lambdagrpc/lambdagrpc/internal/resttest/librarypb"
)

// corpusFile is the differential corpus.
const corpusFile = "testdata/corpus.json"

var update = flag.Bool("update", false, "rewrite the status of each corpus request with grpc-gateway's answer")

func loadCorpus(t testing.TB) []resttest.Request {
	t.Helper()
	reqs, err := resttest.LoadCorpus(corpusFile)
	if err != nil {
		t.Fatal(err)
	}
	return reqs
}

// TestCorpusAgainstGateway checks the corpus on the reference alone:
// grpc-gateway answers each request with the status the corpus records
// (so each request keeps testing what it says), and two grpc-gateway muxes
// answer it alike, which is what lets the differential compare bytes; and
// every method of the Library is reached by some request.
// With -update, it records grpc-gateway's statuses in the corpus instead.
func TestCorpusAgainstGateway(t *testing.T) {
	reqs := loadCorpus(t)
	var mu sync.Mutex
	reached := map[string]bool{}
	reach := func(method string) {
		mu.Lock()
		defer mu.Unlock()
		reached[method] = true
	}
	srv := grpc.NewServer(
		grpc.UnaryInterceptor(func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			reach(info.FullMethod)
			return h(ctx, req)
		}),
		grpc.StreamInterceptor(func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
			reach(info.FullMethod)
			return h(srv, ss)
		}),
	)
	resttest.Register(srv)
	addr := resttest.Serve(t, srv)
	gw := resttest.HandlerFront(resttest.Gateway(t, addr))
	again := resttest.HandlerFront(resttest.Gateway(t, addr))
	ctx := context.Background()
	statuses := map[int]int{}
	for i, r := range reqs {
		want, err := gw(ctx, r)
		if err != nil {
			t.Errorf("%s: %v", r.Name, err)
			continue
		}
		statuses[want.Status]++
		if *update {
			reqs[i].Status = want.Status
			continue
		}
		if want.Status != r.Status {
			t.Errorf("%s: grpc-gateway answers %d, the corpus says %d (run with -update if grpc-gateway changed); body %s", r.Name, want.Status, r.Status, want.Body)
		}
		got, err := again(ctx, r)
		if err != nil {
			t.Errorf("%s: %v", r.Name, err)
			continue
		}
		for _, m := range resttest.Compare(r, want, got) {
			t.Errorf("%s: two grpc-gateway muxes differ: %s", r.Name, m)
		}
	}
	t.Logf("%d requests; grpc-gateway's statuses: %v", len(reqs), statuses)
	methods := librarypb.File_library_proto.Services().ByName("Library").Methods()
	for i := range methods.Len() {
		if m := "/" + string(methods.Get(i).Parent().FullName()) + "/" + string(methods.Get(i).Name()); !reached[m] {
			t.Errorf("no request of the corpus reaches %s", m)
		}
	}
	if *update {
		b, err := json.MarshalIndent(reqs, "", " ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(corpusFile, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
