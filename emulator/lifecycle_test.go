package emulator_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lambdagrpc/lambdagrpc/emulator"
	"github.com/lambdagrpc/lambdagrpc/emulator/emulatortest"
	"github.com/lambdagrpc/lambdagrpc/internal/syncbuf"
)

// invokeResult is what the Invoke API answered.
type invokeResult struct {
	status        int
	functionError string
	body          []byte
}

// invoke calls the function through the Invoke API, giving up after 20 s.
func invoke(t *testing.T, e *emulator.Emulator, payload string) invokeResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, e.InvokeEndpoint()+"/2015-03-31/functions/"+e.Config().Name+"/invocations", strings.NewReader(payload))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return invokeResult{status: resp.StatusCode, functionError: resp.Header.Get("X-Amz-Function-Error"), body: b}
}

// waitOutput waits until the function's output contains s.
func waitOutput(t *testing.T, out *syncbuf.Buffer, s string) {
	t.Helper()
	waitOutputN(t, out, s, 1)
}

// waitOutputN waits until the function's output contains s n times.
func waitOutputN(t *testing.T, out *syncbuf.Buffer, s string, n int) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); strings.Count(out.String(), s) < n; time.Sleep(2 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the function never printed %q %d times; its output:\n%s", s, n, out.String())
		}
	}
}

// TestInitCrashFailsAtOnce: a function that exits before its first /next
// fails the invocation that started it at once, with Runtime.ExitError and
// the exit status, and is not restarted until another invocation needs it,
// and then only after a backoff that grows while inits keep failing.
func TestInitCrashFailsAtOnce(t *testing.T) {
	t.Parallel()
	var out, log syncbuf.Buffer
	e := emulatortest.Start(t, emulator.Config{Package: "./testdata/crasher", Env: []string{"CRASHER_INIT_EXIT=3"},
		Timeout: 30 * time.Second, InitTimeout: 30 * time.Second, Output: &out, Logger: slog.New(slog.NewTextHandler(&log, nil))})
	for i := range 3 {
		r := invoke(t, e, `"hello"`)
		if want := fmt.Sprintf("failures=%d backoff=%v", i+1, 100*time.Millisecond<<i); !strings.Contains(log.String(), want) {
			t.Errorf("call %d: the emulator's log lacks %q:\n%s", i, want, log.String())
		}
		var er struct{ ErrorType, ErrorMessage string }
		_ = json.Unmarshal(r.body, &er)
		if r.status != 200 || r.functionError != "Unhandled" || er.ErrorType != "Runtime.ExitError" || !strings.Contains(er.ErrorMessage, "exit status 3") {
			t.Fatalf("call %d: %d %q %s, want a Runtime.ExitError naming exit status 3", i, r.status, r.functionError, r.body)
		}
		if n := strings.Count(out.String(), "start "); n != i+1 {
			t.Fatalf("after %d calls the function started %d times, want %d", i+1, n, i+1)
		}
	}
}

// TestTimeoutNextCallGetsANewProcess: after a timeout, the next invocation
// goes to a new process, not to a poll the killed one left behind.
func TestTimeoutNextCallGetsANewProcess(t *testing.T) {
	t.Parallel()
	e := emulatortest.Start(t, emulator.Config{Package: "./testdata/crasher", Timeout: 300 * time.Millisecond, Output: io.Discard})
	prev := <-call(t, e, "hello")
	if prev == nil || prev.StatusCode != 200 {
		t.Fatal("the first call failed")
	}
	for i := range 5 {
		// The function polls again at once, leaving this one unanswered.
		if r := <-call(t, e, "abandon"); r == nil || r.StatusCode != 502 || r.Header.Get("X-Amzn-Errortype") != "Sandbox.Timedout" {
			t.Fatalf("round %d: the abandoned call did not time out", i)
		}
		r := <-call(t, e, "hello")
		if r == nil || r.StatusCode != 200 || r.Header.Get("X-Pid") == prev.Header.Get("X-Pid") {
			t.Fatalf("round %d: after the timeout: %v, want 200 from a new process (not %s)", i, r, prev.Header.Get("X-Pid"))
		}
		prev = r
	}
}

// TestManagedInstancesTimeoutFailsOnlyItself: with concurrency above 1, a
// timeout fails its invocation only; the process keeps the others.
func TestManagedInstancesTimeoutFailsOnlyItself(t *testing.T) {
	t.Parallel()
	var out syncbuf.Buffer
	e := emulatortest.Start(t, emulator.Config{Package: "./testdata/crasher", MaxConcurrency: 4, Timeout: 2 * time.Second, Output: &out})
	first := <-call(t, e, "hello")
	if first == nil || first.StatusCode != 200 {
		t.Fatal("the first call failed")
	}
	hung := call(t, e, "hang")
	waitOutput(t, &out, "got hang")
	// Sequencing, not an assertion: the next call's own deadline comes a
	// second after the hung one's.
	time.Sleep(time.Second)
	flag := filepath.Join(t.TempDir(), "go")
	waiting := call(t, e, "wait:"+flag)
	waitOutput(t, &out, "got wait:")
	if r := <-hung; r == nil || r.StatusCode != 502 || r.Header.Get("X-Amzn-Errortype") != "Sandbox.Timedout" {
		t.Fatalf("the hung call: %v, want 502 Sandbox.Timedout", r)
	}
	if err := os.WriteFile(flag, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	pid := first.Header.Get("X-Pid")
	if r := <-waiting; r == nil || r.StatusCode != 200 || r.Header.Get("X-Pid") != pid {
		t.Fatalf("the call in flight beside the timed-out one: %v, want 200 from process %s", r, pid)
	}
	if r := <-call(t, e, "hello"); r == nil || r.StatusCode != 200 || r.Header.Get("X-Pid") != pid {
		t.Fatalf("after the timeout: %v, want 200 from the same process %s", r, pid)
	}
}

// TestInitErrorIsTerminal: after /runtime/init/error, the runtime's polls
// are refused with 403 InvalidStateTransition and invocations fail with the
// init error.
func TestInitErrorIsTerminal(t *testing.T) {
	t.Parallel()
	e := emulatortest.Start(t, emulator.Config{Timeout: 5 * time.Second})
	rt := newRaw(t, e)
	respc := call(t, e, "x")
	for deadline := time.Now().Add(30 * time.Second); e.Waiting() == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the call was never queued")
		}
	}
	initErr := map[string]string{"Lambda-Runtime-Function-Error-Type": "Runtime.ConfigInvalid"}
	if code, _ := rt.post("init/error", initErr, strings.NewReader(`{"errorMessage":"bad config","errorType":"Runtime.ConfigInvalid"}`), nil); code != 202 {
		t.Fatalf("init error: %d", code)
	}
	if r := <-respc; r == nil || r.StatusCode != 502 || r.Header.Get("X-Amzn-Errortype") != "Runtime.ConfigInvalid" {
		t.Fatalf("caller after an init error got %v", r)
	}
	later := call(t, e, "y")
	if code, body := rt.post("init/error", initErr, strings.NewReader(`{}`), nil); code != 403 || !strings.Contains(body, "InvalidStateTransition") {
		t.Errorf("a second init error: %d %s, want 403 InvalidStateTransition", code, body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+e.RuntimeAPIAddr()+"/2018-06-01/runtime/invocation/next", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("/next after the init error: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 403 || !strings.Contains(string(body), "InvalidStateTransition") {
		t.Errorf("/next after the init error: %d %s, want 403 InvalidStateTransition", resp.StatusCode, body)
	}
	if r := <-later; r == nil || r.StatusCode != 502 || r.Header.Get("X-Amzn-Errortype") != "Runtime.ConfigInvalid" {
		t.Errorf("a call after the init error got %v, want 502 Runtime.ConfigInvalid", r)
	}
}

// TestInitErrorProcess: a function process that reports an init error gets
// 403 for its next poll, the invocation fails with its error, and the next
// invocation starts a new process.
func TestInitErrorProcess(t *testing.T) {
	t.Parallel()
	var out syncbuf.Buffer
	e := emulatortest.Start(t, emulator.Config{Package: "./testdata/crasher", Env: []string{"CRASHER_INIT_ERROR=1"}, Timeout: 10 * time.Second, Output: &out})
	for i := range 2 {
		if r := <-call(t, e, "x"); r == nil || r.StatusCode != 502 || r.Header.Get("X-Amzn-Errortype") != "Crasher.InitFailed" {
			t.Fatalf("call %d: %v, want 502 Crasher.InitFailed", i, r)
		}
		waitOutputN(t, &out, "next after init error: 403", i+1)
		if n := strings.Count(out.String(), "start "); n != i+1 {
			t.Fatalf("after %d calls the function started %d times, want %d", i+1, n, i+1)
		}
	}
}
