package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lambdagrpc/lambdagrpc/emulator"
)

// TestLoadEmulateFile reads every field of an emulate --config file into
// the functions' configurations, and refuses files that are wrong in shape.
func TestLoadEmulateFile(t *testing.T) {
	t.Parallel()
	addr, cfgs, err := loadEmulateFile("testdata/functions.json")
	if err != nil {
		t.Fatal(err)
	}
	if addr != "127.0.0.1:0" || len(cfgs) != 2 {
		t.Fatalf("loadEmulateFile = %q, %d functions", addr, len(cfgs))
	}
	g, w := cfgs[0], cfgs[1]
	if g.Name != "greeter" || g.Package != "./examples/greeter" || g.InvokeMode != emulator.ResponseStream || g.Timeout != 30*time.Second ||
		g.InitTimeout != 5*time.Second || g.MemoryMB != 256 || g.MaxConcurrency != 4 || g.Region != "eu-west-1" ||
		strings.Join(g.Env, " ") != "A=1 LOG_LEVEL=debug" || len(g.FrontDoors) != 2 || g.FrontDoors[0].Kind != emulator.RESTStream ||
		g.FrontDoors[1].Kind != emulator.ALBMultiValue || g.CORS == nil || g.CORS.MaxAge != 60 || !g.Watch {
		t.Errorf("greeter = %+v", g)
	}
	if w.Name != "worker" || strings.Join(w.Command, " ") != "./bin/worker --flag" || w.AuthType != "AWS_IAM" || w.ReservedConcurrency != 2 ||
		w.InvokeMode != "" || w.Timeout != 0 {
		t.Errorf("worker = %+v", w)
	}
	if len(w.SQS) != 2 || w.SQS[0].QueueURL != "http://127.0.0.1:9324/000000000000/jobs" || w.SQS[0].Endpoint != "http://127.0.0.1:9324" ||
		w.SQS[0].BatchSize != 50 || w.SQS[0].BatchingWindow != 2*time.Second || w.SQS[0].ReportBatchItemFailures ||
		w.SQS[1].QueueURL != "https://sqs.eu-west-1.amazonaws.com/123456789012/other" || !w.SQS[1].ReportBatchItemFailures || len(g.SQS) != 0 {
		t.Errorf("worker's SQS mappings = %+v", w.SQS)
	}
	for _, tc := range []struct{ file, want string }{
		{`{"functions":[]}`, "no functions"},
		{`{"functions":[{"name":"x"}]}`, "exactly one of package and command"},
		{`{"functions":[{"name":"x","package":"p","command":["c"]}]}`, "exactly one of package and command"},
		{`{"functions":[{"name":"x","package":"p","timeout":"soon"}]}`, `function 1 ("x")`},
		{`{"functions":[{"name":"x","package":"p","colour":"red"}]}`, `unknown field "colour"`},
		{`{"functions":[{"name":"x","package":"p","sqs":[{"queueUrl":"http://h/1/q","batchingWindow":"soon"}]}]}`, "sqs 1: batchingWindow"},
	} {
		path := filepath.Join(t.TempDir(), "f.json")
		if err := os.WriteFile(path, []byte(tc.file), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, _, err := loadEmulateFile(path); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("loadEmulateFile(%s) = %v, want an error containing %q", tc.file, err, tc.want)
		}
	}
}
