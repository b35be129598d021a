package emulatortest_test

import (
	"fmt"
	"net"
	"runtime"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/lambdagrpc/lambdagrpc/emulator"
	"github.com/lambdagrpc/lambdagrpc/emulator/emulatortest"
)

// TestMain fails the package's tests if any goroutine outlives them.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// TestStartClosesWhenTheTestEnds: the emulator serves during the test that
// started it and is closed, its addresses released, when that test ends.
func TestStartClosesWhenTheTestEnds(t *testing.T) {
	t.Parallel()
	var addrs []string
	t.Run("user", func(t *testing.T) {
		e := emulatortest.Start(t, emulator.Config{})
		addrs = []string{e.RuntimeAPIAddr(), strings.TrimPrefix(e.URL(), "http://"), strings.TrimPrefix(e.InvokeEndpoint(), "http://")}
		for _, a := range addrs {
			c, err := net.Dial("tcp", a)
			if err != nil {
				t.Fatalf("during the test: %v", err)
			}
			c.Close()
		}
	})
	for _, a := range addrs {
		if c, err := net.Dial("tcp", a); err == nil {
			c.Close()
			t.Errorf("%s still accepts connections after the test that started the emulator ended", a)
		}
	}
}

// fatalRecorder is a testing.TB whose Fatalf records the message and ends
// the goroutine, as testing's does, without failing the real test.
type fatalRecorder struct {
	testing.TB
	msg string
}

func (r *fatalRecorder) Helper() {}

func (r *fatalRecorder) Fatalf(format string, args ...any) {
	r.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// TestStartFailsTheTest: a configuration Start refuses fails the test at
// once, with the emulator's reason.
func TestStartFailsTheTest(t *testing.T) {
	t.Parallel()
	r := &fatalRecorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		emulatortest.Start(r, emulator.Config{InvokeMode: "SOMETIMES"})
		r.msg = "Start returned"
	}()
	<-done
	if !strings.Contains(r.msg, "unknown invoke mode") {
		t.Errorf("Start with an unknown invoke mode: Fatalf(%q), want it to name the unknown invoke mode", r.msg)
	}
}
