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
// bootstrap on the emulator 20 times and reports, in milliseconds, the
// median and p90 time from process start to its first /next and to the
// end of its first invocation, and the binary's size. Run it with
// -benchtime 1x.
func BenchmarkColdStart(b *testing.B) {
	const runs = 20
	dir := b.TempDir()
	msg, _ := proto.Marshal(&testpb.SimpleRequest{Payload: &testpb.Payload{Body: []byte("x")}})
	body := wire.AppendFrame(nil, 0, msg)
	for _, fn := range []string{"hello", "grpcbare", "lambdagrpc", "improbable", "vanguard"} {
		b.Run("fn="+fn, func(b *testing.B) {
			bin, size := build(b, "./coldstart/"+fn, dir)
			var toNext, toFirst []time.Duration
			for range b.N {
				for range runs {
					log := &startLog{}
					e, err := emulator.Start(context.Background(), emulator.Config{Command: []string{bin}, Output: io.Discard, Logger: slog.New(log), Timeout: 10 * time.Second})
					if err != nil {
						b.Fatal(err)
					}
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
					toNext = append(toNext, log.init)
					toFirst = append(toFirst, done.Sub(log.started))
					log.mu.Unlock()
					_ = e.Close()
				}
			}
			ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
			b.ReportMetric(ms(percentile(toNext, 0.5)), "next-p50-ms")
			b.ReportMetric(ms(percentile(toNext, 0.9)), "next-p90-ms")
			b.ReportMetric(ms(percentile(toFirst, 0.5)), "first-p50-ms")
			b.ReportMetric(ms(percentile(toFirst, 0.9)), "first-p90-ms")
			b.ReportMetric(float64(size)/1e6, "MB")
		})
	}
}
