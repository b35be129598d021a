package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/protobuf/proto"

	"github.com/lambdagrpc/lambdagrpc/emulator"
	"github.com/lambdagrpc/lambdagrpc/internal/wire"
)

// processOf finds the running process whose executable is bin.
func processOf(bin string) (int, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if exe, err := os.Readlink(filepath.Join("/proc", e.Name(), "exe")); err == nil && exe == bin {
			return pid, nil
		}
	}
	return 0, fmt.Errorf("no process runs %s", bin)
}

// peakRSS reads a process's peak resident set size (VmHWM), in bytes.
func peakRSS(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no VmHWM for process %d", pid)
}

// BenchmarkPeakRSS starts each function as a Lambda bootstrap on the
// emulator, sends it five unary calls echoing a message of the given size
// through the Function URL, checks every answer, and reports the process's
// peak resident set size in MB. Run it with -benchtime 1x.
func BenchmarkPeakRSS(b *testing.B) {
	dir := b.TempDir()
	for _, fn := range []string{"lambdagrpc", "improbable", "vanguard"} {
		bin, _ := build(b, "./coldstart/"+fn, dir)
		// The 4 MiB case stays just under grpc-go's default 4 MiB receive
		// limit, which these functions keep.
		for _, size := range []int{256 << 10, 4<<20 - 16} {
			b.Run(fmt.Sprintf("fn=%s/bytes=%d", fn, size), func(b *testing.B) {
				msg, _ := proto.Marshal(&testpb.SimpleRequest{Payload: &testpb.Payload{Body: bytes.Repeat([]byte{'r'}, size)}})
				body := wire.AppendFrame(nil, 0, msg)
				var peak int64
				for range b.N {
					e, err := emulator.Start(context.Background(), emulator.Config{Command: []string{bin}, Output: io.Discard, Logger: slog.New(slog.DiscardHandler), Timeout: 30 * time.Second})
					if err != nil {
						b.Fatal(err)
					}
					for range 5 {
						resp, err := http.Post(e.URL()+"/grpc.testing.TestService/UnaryCall", "application/grpc-web+proto", bytes.NewReader(body))
						if err != nil {
							b.Fatal(err)
						}
						out, _ := io.ReadAll(resp.Body)
						resp.Body.Close()
						checkEcho(b, fn, resp.StatusCode, out, size)
					}
					pid, err := processOf(bin)
					if err != nil {
						b.Fatal(err)
					}
					if peak, err = peakRSS(pid); err != nil {
						b.Fatal(err)
					}
					_ = e.Close()
				}
				b.ReportMetric(float64(peak)/1e6, "peak-RSS-MB")
			})
		}
	}
}

// checkEcho fails b unless out is a gRPC-Web response carrying one message
// with a payload of size bytes and status OK.
func checkEcho(b *testing.B, fn string, code int, out []byte, size int) {
	b.Helper()
	if code != http.StatusOK {
		b.Fatalf("%s answered HTTP %d: %.200s", fn, code, out)
	}
	msgs, trailer, err := wire.SplitWeb(out)
	if err != nil {
		b.Fatalf("%s: malformed gRPC-Web body (%v)", fn, err)
	}
	grpcStatus := trailer.Get("Grpc-Status")
	var resp testpb.SimpleResponse
	if grpcStatus != "0" || len(msgs) != 1 || proto.Unmarshal(msgs[0], &resp) != nil || len(resp.GetPayload().GetBody()) != size {
		b.Fatalf("%s: grpc-status %q, %d messages, want 0 and one %d-byte payload", fn, grpcStatus, len(msgs), size)
	}
}
