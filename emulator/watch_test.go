package emulator_test

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lambdagrpc/lambdagrpc/emulator"
	"github.com/lambdagrpc/lambdagrpc/emulator/emulatortest"
	"github.com/lambdagrpc/lambdagrpc/internal/syncbuf"
)

const versionedRuntime = `package main

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	base := "http://" + os.Getenv("AWS_LAMBDA_RUNTIME_API") + "/2018-06-01/runtime/invocation/"
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM)
	go func() { <-term; os.Exit(0) }()
	for {
		resp, err := http.Get(base + "next")
		if err != nil {
			os.Exit(1)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		id := resp.Header.Get("Lambda-Runtime-Aws-Request-Id")
		r, err := http.Post(base+id+"/response", "application/json", bytes.NewReader([]byte(` + "`" + `{"statusCode":200,"body":"VERSION"}` + "`" + `)))
		if err != nil {
			os.Exit(1)
		}
		r.Body.Close()
	}
}
`

func TestWatchRebuilds(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(version string) {
		src := strings.Replace(versionedRuntime, "VERSION", version, 1)
		if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/versioned\n\ngo 1.22\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	write("v1")
	e := emulatortest.Start(t, emulator.Config{Package: dir, Watch: true, Output: io.Discard, Timeout: 10 * time.Second})
	if r := <-call(t, e, "x"); readAll(r) != "v1" {
		t.Fatal("the first build did not answer v1")
	}
	// The new version differs in size, and its time is set a second
	// ahead, so the change shows on file systems whose timestamps are
	// coarse, however quickly it follows the first write.
	write("v2-longer")
	later := time.Now().Add(time.Second)
	if err := os.Chtimes(filepath.Join(dir, "main.go"), later, later); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		r := <-call(t, e, "x")
		body := readAll(r)
		if r.StatusCode == 200 && body == "v2-longer" {
			return
		}
		if r.StatusCode != 200 || body != "v1" {
			t.Fatalf("during the rebuild a call got %d %q: invocations must wait for the new build, not fail", r.StatusCode, body)
		}
		if time.Now().After(deadline) {
			t.Fatal("the change was never picked up")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestWatchPrintsCompilerErrors: a failed rebuild shows the compiler's
// messages as the compiler printed them, one per line, not as one escaped
// log field.
func TestWatchPrintsCompilerErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/broken\n\ngo 1.22\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n\nfunc main() {}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var out syncbuf.Buffer
	emulatortest.Start(t, emulator.Config{Package: dir, Watch: true, Output: &out, Logger: slog.New(slog.NewTextHandler(&out, nil))})
	broken := "package main\n\nfunc main() {\n\tnotDefined()\n\talsoNotDefined()\n}\n"
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(broken), 0o600); err != nil {
		t.Fatal(err)
	}
	want := "./main.go:4:2: undefined: notDefined\n./main.go:5:2: undefined: alsoNotDefined\n"
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(out.String(), "rebuild failed") || !strings.Contains(out.String(), "alsoNotDefined") {
		if time.Now().After(deadline) {
			t.Fatalf("no rebuild failure reported; output:\n%s", out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if got := out.String(); !strings.Contains(got, want) {
		t.Fatalf("the compiler's messages are not printed as the compiler printed them; output:\n%s\nwant it to contain:\n%s", got, want)
	}
}
