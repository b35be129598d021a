package emulator_test

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lambdagrpc/lambdagrpc/emulator"
	"github.com/lambdagrpc/lambdagrpc/emulator/emulatortest"
)

const orphanChild = "LAMBDAGRPC_TEST_ORPHAN_CHILD"

// TestFunctionDiesWithEmulator kills an emulator outright (SIGKILL, which it
// cannot handle) while its function runs. The function is in a process group
// of its own, out of reach of the terminal's signals, so the kernel must end
// it with the emulator rather than leave it running. The emulator is this
// test binary run again as a child; its function is `sleep`, which never
// notices that the Runtime API went away.
func TestFunctionDiesWithEmulator(t *testing.T) {
	if os.Getenv(orphanChild) != "" {
		e := emulatortest.Start(t, emulator.Config{Command: []string{"sleep", "600"}, InitTimeout: 10 * time.Minute, Output: io.Discard})
		go func() { <-call(t, e, "start it") }()
		select {}
	}
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	child := exec.CommandContext(ctx, os.Args[0], "-test.run", "^TestFunctionDiesWithEmulator$")
	child.Env = append(os.Environ(), orphanChild+"=1")
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = child.Wait() }()
	var fn string
	for fn == "" {
		fn = childNamed(child.Process.Pid, "sleep")
		select {
		case <-ctx.Done():
			_ = child.Process.Kill()
			t.Fatal("the child emulator never started its function")
		case <-time.After(20 * time.Millisecond):
		}
	}
	if err := child.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	deadline := time.After(30 * time.Second)
	for alive(fn) {
		select {
		case <-deadline:
			t.Fatalf("function process %s outlived its emulator", fn)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// childNamed returns the pid of a child of pid whose command is name, or "".
func childNamed(pid int, name string) string {
	tasks, _ := filepath.Glob("/proc/" + strconv.Itoa(pid) + "/task/*/children")
	for _, f := range tasks {
		b, _ := os.ReadFile(f)
		for _, c := range strings.Fields(string(b)) {
			if comm, _ := os.ReadFile("/proc/" + c + "/comm"); strings.TrimSpace(string(comm)) == name {
				return c
			}
		}
	}
	return ""
}

// alive reports whether the process runs: it has not exited, or exited and
// is a zombie no one has reaped yet (a container's init may never reap it).
func alive(pid string) bool {
	stat, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return false
	}
	// The state follows the command, which is in parentheses.
	s := string(stat)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}
