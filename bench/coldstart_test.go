package bench

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/protobuf/proto"

	"github.com/lambdagrpc/lambdagrpc/emulator"
	"github.com/lambdagrpc/lambdagrpc/internal/wire"
)

// startLog captures when the emulator started the function process and how
// long its init took (until its first /next).
type startLog struct {
	mu      sync.Mutex
	started time.Time
	init    time.Duration
}

func (l *startLog) Enabled(context.Context, slog.Level) bool { return true }
func (l *startLog) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *startLog) WithGroup(string) slog.Handler            { return l }
func (l *startLog) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch r.Message {
	case "emulator: starting the function (cold start)":
		l.started = r.Time
	case "emulator: function initialised":
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "initDuration" {
				l.init = a.Value.Duration()
			}
			return true
		})
	}
	return nil
}

// build builds pkg as `lambdagrpc build` builds a bootstrap: static,
// stripped, with aws-lambda-go's lambda.norpc tag (which the peers and the
// floors benefit from) and lambdagrpc's lambdagrpc.notcp.
func build(b *testing.B, pkg, dir string) (string, int64) {
	bin := filepath.Join(dir, filepath.Base(pkg))
	cmd := exec.Command("go", "build", "-trimpath", "-tags", "lambda.norpc,lambdagrpc.notcp", "-ldflags", "-s -w", "-o", bin, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("building %s: %v\n%s", pkg, err, out)
	}
	fi, err := os.Stat(bin)
	if err != nil {
		b.Fatal(err)
	}
	return bin, fi.Size()
}

func percentile(d []time.Duration, p float64) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[int(float64(len(s)-1)*p)]
}

// BenchmarkColdStart starts each function as a stripped, static Lambda
// bootstrap on the emulator 60 times and reports, in milliseconds, the
// median and p90 time from process start to its first /next and to the
// end of its first invocation, and the binary's size. The functions take
// turns, one cold start each per round, so that a change in the machine's
// load during the run weighs on all of them alike. Run it with
// -benchtime 1x and without -count, which would only repeat the report.
func BenchmarkColdStart(b *testing.B) {
	const runs = 60
	fns := []string{"hello", "grpcbare", "lambdagrpc", "improbable", "vanguard"}
	dir := b.TempDir()
	bins, sizes := map[string]string{}, map[string]int64{}
	for _, fn := range fns {
		bins[fn], sizes[fn] = build(b, "./coldstart/"+fn, dir)
	}
	msg, _ := proto.Marshal(&testpb.SimpleRequest{Payload: &testpb.Payload{Body: []byte("x")}})
	body := wire.AppendFrame(nil, 0, msg)
	toNext, toFirst := map[string][]time.Duration{}, map[string][]time.Duration{}
	for range runs {
		for _, fn := range fns {
			next, first := coldStart(b, fn, bins[fn], body)
			toNext[fn] = append(toNext[fn], next)
			toFirst[fn] = append(toFirst[fn], first)
		}
	}
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	for _, fn := range fns {
		b.Run("fn="+fn, func(b *testing.B) {
			for range b.N {
			}
			b.ReportMetric(ms(percentile(toNext[fn], 0.5)), "next-p50-ms")
			b.ReportMetric(ms(percentile(toNext[fn], 0.9)), "next-p90-ms")
			b.ReportMetric(ms(percentile(toFirst[fn], 0.5)), "first-p50-ms")
			b.ReportMetric(ms(percentile(toFirst[fn], 0.9)), "first-p90-ms")
			b.ReportMetric(float64(sizes[fn])/1e6, "MB")
		})
	}
}

// coldStart starts bin on a fresh emulator, makes one call, and returns
// the time from process start to its first /next and to the call's end.
func coldStart(b *testing.B, fn, bin string, body []byte) (toNext, toFirst time.Duration) {
	log := &startLog{}
	e, err := emulator.Start(context.Background(), emulator.Config{Command: []string{bin}, Output: io.Discard, Logger: slog.New(log), Timeout: 10 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	resp, err := http.Post(e.URL()+"/grpc.testing.TestService/UnaryCall", "application/grpc-web+proto", bytes.NewReader(body))
	done := time.Now()
	if err != nil {
		b.Fatal(err)
	}
	out, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("%s answered %d %s", fn, resp.StatusCode, out)
	}
	log.mu.Lock()
	defer log.mu.Unlock()
	return log.init, done.Sub(log.started)
}
