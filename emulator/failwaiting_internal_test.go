package emulator

import (
	"io"
	"testing"
)

// TestFailWaitingSparesLaterCalls: an init crash fails the invocations
// queued when it happened, not one a caller sends as soon as it hears of its
// own failure; that one waits for the next process.
func TestFailWaitingSparesLaterCalls(t *testing.T) {
	cfg := Config{Output: io.Discard}
	if err := cfg.defaults(); err != nil {
		t.Fatal(err)
	}
	rt := newRuntimeAPI(&cfg)
	t.Cleanup(rt.close)
	first, err := rt.invoke([]byte(`1`), "", invokeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var next *invocation
	rt.failWaiting(func(inv *invocation) *outcome {
		if inv == first {
			// The caller's next call, sent while the crash is handled.
			next, _ = rt.invoke([]byte(`2`), "", invokeOptions{})
		}
		return errorOutcome("Runtime.ExitError", "Runtime exited with error: exit status 3")
	})
	<-first.done
	select {
	case <-next.done:
		t.Fatal("the call sent after the crash failed with it")
	default:
	}
	if n := len(rt.queue); n != 1 {
		t.Fatalf("%d invocations queued, want the later call", n)
	}
}

// killStarter is a starter whose timedOut, which kills the process, waits
// for the test.
type killStarter struct{ killing chan struct{} }

func (*killStarter) ensure() error { return nil }
func (*killStarter) delivered()    {}
func (s *killStarter) timedOut()   { <-s.killing }

// TestTimeoutHoldsBeforeAnswering: by the time a caller hears that its
// invocation timed out, deliveries are held, so its next call cannot be
// handed to a poll the process about to be killed left open.
func TestTimeoutHoldsBeforeAnswering(t *testing.T) {
	cfg := Config{Output: io.Discard}
	if err := cfg.defaults(); err != nil {
		t.Fatal(err)
	}
	rt := newRuntimeAPI(&cfg)
	t.Cleanup(rt.close)
	ks := &killStarter{killing: make(chan struct{})}
	rt.starter = ks
	inv, err := rt.invoke([]byte(`1`), "", invokeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	go rt.timeout(inv)
	<-inv.done
	rt.mu.Lock()
	held := rt.hold != nil
	rt.mu.Unlock()
	close(ks.killing)
	if !held {
		t.Fatal("the timeout was answered before deliveries were held")
	}
}
