package resttest_test

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"testing"

	"google.golang.org/grpc"

	"github.com/lambdagrpc/lambdagrpc/internal/resttest"
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
// answer it alike, which is what lets the differential compare bytes.
// With -update, it records grpc-gateway's statuses in the corpus instead.
func TestCorpusAgainstGateway(t *testing.T) {
	reqs := loadCorpus(t)
	srv := grpc.NewServer()
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
