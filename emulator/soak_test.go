package emulator_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/lambdagrpc/lambdagrpc/client"
	"github.com/lambdagrpc/lambdagrpc/emulator"
	"github.com/lambdagrpc/lambdagrpc/emulator/emulatortest"
	"github.com/lambdagrpc/lambdagrpc/internal/testsvc"
)

var soakFor = flag.Duration("soak", 2*time.Second, "how long TestSoak runs at each concurrency (make soak runs 60s)")

// lineCounter counts the emulator's START and END lines in the function's
// log, without keeping the log.
type lineCounter struct{ starts, ends atomic.Int64 }

func (c *lineCounter) Write(p []byte) (int, error) {
	switch {
	case bytes.Contains(p, []byte("] START RequestId: ")):
		c.starts.Add(1)
	case bytes.Contains(p, []byte("] END RequestId: ")):
		c.ends.Add(1)
	}
	return len(p), nil
}

// startRecorder is a slog.Handler that keeps the pids of the emulator's
// cold starts.
type startRecorder struct {
	mu   sync.Mutex
	pids []int
}

func (s *startRecorder) Enabled(context.Context, slog.Level) bool { return true }

func (s *startRecorder) Handle(_ context.Context, r slog.Record) error {
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "pid" {
			s.mu.Lock()
			s.pids = append(s.pids, int(a.Value.Int64()))
			s.mu.Unlock()
		}
		return true
	})
	return nil
}

func (s *startRecorder) WithAttrs([]slog.Attr) slog.Handler { return s }
func (s *startRecorder) WithGroup(string) slog.Handler      { return s }

func (s *startRecorder) started() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]int(nil), s.pids...)
}

// memory is the emulator's live heap (this process's, after a GC) and the
// function process's resident set, in bytes; rss is 0 where /proc is not
// available.
type memory struct{ heap, rss uint64 }

func measure(pid int) memory {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	m := memory{heap: ms.HeapAlloc}
	if b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status"); err == nil {
		for line := range strings.Lines(string(b)) {
			if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
				kb, _ := strconv.ParseUint(f[1], 10, 64)
				m.rss = kb << 10
			}
		}
	}
	return m
}

func (m memory) String() string {
	return fmt.Sprintf("emulator heap %.1f MiB, function RSS %.1f MiB", float64(m.heap)/(1<<20), float64(m.rss)/(1<<20))
}

// Kinds of soak calls.
const (
	soakUnary = iota
	soakStream
	soakError
	soakTimeout
	soakKinds
)

var soakKindNames = [soakKinds]string{"unary", "server stream", "error", "timeout"}

// soakKind spreads the kinds: one call in 200 times out (its handler
// sleeps past the function timeout, holding one of the function's workers),
// and of the rest about half are unary, a third streams, and a sixth fail.
func soakKind(id int64) int {
	switch {
	case id%200 == 0:
		return soakTimeout
	case id%6 < 3:
		return soakUnary
	case id%6 < 5:
		return soakStream
	default:
		return soakError
	}
}

// soakCall makes call id of its kind and reports whether its answer is the
// right one, or that it never came (lost).
func soakCall(svc testpb.TestServiceClient, id int64, kind int) (right, lost bool, detail string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tag := []byte("soak-" + strconv.FormatInt(id, 10))
	var err error
	switch kind {
	case soakUnary:
		var resp *testpb.SimpleResponse
		if resp, err = svc.UnaryCall(ctx, &testpb.SimpleRequest{Payload: &testpb.Payload{Body: tag}}); err == nil {
			return bytes.Equal(resp.GetPayload().GetBody(), tag), false, fmt.Sprintf("unary %s answered %q", tag, resp.GetPayload().GetBody())
		}
	case soakStream:
		n := 1 + int(id%4)
		req := &testpb.StreamingOutputCallRequest{}
		for j := range n {
			req.ResponseParameters = append(req.ResponseParameters, &testpb.ResponseParameters{Size: int32(id%97) + int32(j)})
		}
		var stream testpb.TestService_StreamingOutputCallClient
		if stream, err = svc.StreamingOutputCall(ctx, req); err == nil {
			var sizes []int
			for {
				m, rerr := stream.Recv()
				if rerr != nil {
					err = rerr
					break
				}
				sizes = append(sizes, len(m.GetPayload().GetBody()))
			}
			if errors.Is(err, io.EOF) {
				want := make([]int, n)
				for j := range want {
					want[j] = int(id%97) + j
				}
				return fmt.Sprint(sizes) == fmt.Sprint(want), false, fmt.Sprintf("stream %d got sizes %v, want %v", id, sizes, want)
			}
		}
	case soakError:
		_, err = svc.UnaryCall(ctx, &testpb.SimpleRequest{ResponseStatus: &testpb.EchoStatus{Code: int32(codes.FailedPrecondition), Message: string(tag)}})
		if st, ok := status.FromError(err); ok && err != nil && ctx.Err() == nil {
			return st.Code() == codes.FailedPrecondition && st.Message() == string(tag), false, fmt.Sprintf("error call %s got %v", tag, err)
		}
	case soakTimeout:
		tctx := metadata.AppendToOutgoingContext(ctx, testsvc.Sleep, "1300")
		_, err = svc.UnaryCall(tctx, &testpb.SimpleRequest{Payload: &testpb.Payload{Body: tag}})
		if err != nil && ctx.Err() == nil {
			return true, false, ""
		}
		if err == nil {
			return false, false, fmt.Sprintf("timeout call %s succeeded", tag)
		}
	}
	if ctx.Err() != nil {
		return false, true, fmt.Sprintf("%s call %d: no answer in 30 s (%v)", soakKindNames[kind], id, err)
	}
	return false, false, fmt.Sprintf("%s call %d: %v", soakKindNames[kind], id, err)
}

// soakStats counts one phase's calls.
type soakStats struct {
	calls, right, wrong, lost [soakKinds]atomic.Int64
	mu                        sync.Mutex
	examples                  []string
}

func (s *soakStats) total(c *[soakKinds]atomic.Int64) int64 {
	var n int64
	for i := range c {
		n += c[i].Load()
	}
	return n
}

// soakPhase runs clients callers for d; sample, if set, runs once a
// quarter of the way through.
func soakPhase(svc testpb.TestServiceClient, ids *atomic.Int64, clients int, d time.Duration, sample func()) *soakStats {
	s := &soakStats{}
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	if sample != nil {
		wg.Go(func() {
			time.Sleep(d / 4)
			sample()
		})
	}
	for range clients {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				id := ids.Add(1)
				kind := soakKind(id)
				s.calls[kind].Add(1)
				right, lost, detail := soakCall(svc, id, kind)
				switch {
				case right:
					s.right[kind].Add(1)
				case lost:
					s.lost[kind].Add(1)
				default:
					s.wrong[kind].Add(1)
				}
				if !right {
					s.mu.Lock()
					if len(s.examples) < 5 {
						s.examples = append(s.examples, detail)
					}
					s.mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	return s
}

// TestSoak runs mixed calls (unary, server streams, errors, timeouts) from
// 32 and then 64 callers, -soak long each, against a function process in
// Managed Instances mode (32 invocations at once, so callers also queue).
// Every call must get its own answer exactly once: the right payload,
// stream or status, an error for a timeout, and one START and one END in
// the log per invocation. The process must never be restarted, and memory
// must stay flat: the emulator's heap and the function's resident set at
// the end against a quarter into the first phase, with a generous bound.
func TestSoak(t *testing.T) {
	var lines lineCounter
	var starts startRecorder
	e := emulatortest.Start(t, emulator.Config{
		Name: "soak", Package: "./testdata/soakfn", Env: []string{"LAMBDAGRPC_INVOKE_MODE=RESPONSE_STREAM"},
		InvokeMode: emulator.ResponseStream, MaxConcurrency: 32, Timeout: time.Second, InitTimeout: 30 * time.Second,
		Output: &lines, Logger: slog.New(&starts),
	})
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 256
	defer tr.CloseIdleConnections()
	conn, err := client.New(e.URL(), client.WithTransport(tr))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	svc := testpb.NewTestServiceClient(conn)
	var ids atomic.Int64
	// The cold start, outside the measurements.
	if right, _, detail := soakCall(svc, ids.Add(1), soakUnary); !right {
		t.Fatalf("first call: %s", detail)
	}
	pids := starts.started()
	if len(pids) != 1 {
		t.Fatalf("%d cold starts before the soak, want 1", len(pids))
	}
	pid := pids[0]
	var before memory
	var calls int64 = 1
	for i, clients := range []int{32, 64} {
		var sample func()
		if i == 0 {
			sample = func() { before = measure(pid) }
		}
		start := time.Now()
		s := soakPhase(svc, &ids, clients, *soakFor, sample)
		elapsed := time.Since(start)
		n := s.total(&s.calls)
		calls += n
		var kinds []string
		for k := range soakKinds {
			kinds = append(kinds, fmt.Sprintf("%s %d", soakKindNames[k], s.calls[k].Load()))
		}
		t.Logf("%d callers, %v: %d calls (%.0f/s; %s): %d right, %d wrong, %d lost", clients, elapsed.Round(time.Millisecond), n,
			float64(n)/elapsed.Seconds(), strings.Join(kinds, ", "), s.total(&s.right), s.total(&s.wrong), s.total(&s.lost))
		if s.total(&s.wrong) > 0 || s.total(&s.lost) > 0 {
			t.Errorf("%d callers: %d wrong and %d lost answers, for example:\n%s", clients, s.total(&s.wrong), s.total(&s.lost), strings.Join(s.examples, "\n"))
		}
	}
	after := measure(pid)
	t.Logf("memory a quarter into the first phase: %v; at the end: %v", before, after)
	// The timed-out calls' handlers answer late; every invocation has ended
	// once the last START has its END.
	for deadline := time.Now().Add(10 * time.Second); lines.ends.Load() < calls && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
	}
	if st, en := lines.starts.Load(), lines.ends.Load(); st != calls || en != calls {
		t.Errorf("%d calls, but %d invocations started and %d ended: want one each per call", calls, st, en)
	}
	if n := e.Waiting(); n != 0 {
		t.Errorf("%d invocations still wait after the soak", n)
	}
	if pids := starts.started(); len(pids) != 1 {
		t.Errorf("the function was started %d times (pids %v), want once: nothing in the soak should restart it", len(pids), pids)
	}
	const slack = 32 << 20
	if after.heap > 2*before.heap+slack {
		t.Errorf("the emulator's heap grew from %d to %d bytes", before.heap, after.heap)
	}
	if before.rss > 0 && after.rss > 2*before.rss+slack {
		t.Errorf("the function's resident set grew from %d to %d bytes", before.rss, after.rss)
	}
}
