package emulator

import (
	"fmt"
	"strings"
	"time"
)

// trace is an invocation's X-Ray trace header: the caller's
// X-Amzn-Trace-Id when it sent one with a Root, else a new one. The
// runtime's Lambda-Runtime-Trace-Id and the trace header in the event
// share its Root.
type trace struct {
	root, parent, sampled string
	// sent is the caller's header as it came, when it had a Root.
	sent string
}

// newTrace reads a caller's X-Amzn-Trace-Id ("Root=1-...;Parent=...;
// Sampled=1", fields in any order, others ignored). A header without a
// well-formed Root is no trace: the invocation gets a new one, as Lambda
// starts a trace for an untraced call.
func newTrace(header string) trace {
	var t trace
	for field := range strings.SplitSeq(header, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(field), "=")
		switch k {
		case "Root":
			t.root = v
		case "Parent":
			t.parent = v
		case "Sampled":
			t.sampled = v
		}
	}
	if validRoot(t.root) {
		t.sent = strings.TrimSpace(header)
	} else {
		t = trace{root: fmt.Sprintf("1-%08x-%s", time.Now().Unix(), randomHex(12))}
	}
	if !validSegmentID(t.parent) {
		t.parent = randomHex(8)
	}
	if t.sampled != "1" {
		t.sampled = "0"
	}
	return t
}

// validRoot reports whether s is an X-Ray trace id: "1-", eight hex digits
// of time, "-", 24 hex digits.
func validRoot(s string) bool {
	rest, ok := strings.CutPrefix(s, "1-")
	return ok && len(rest) == 8+1+24 && rest[8] == '-' && isHex(rest[:8]) && isHex(rest[9:])
}

// validSegmentID reports whether s is an X-Ray segment id (16 hex digits).
func validSegmentID(s string) bool { return len(s) == 16 && isHex(s) }

func isHex(s string) bool {
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return s != ""
}

// runtime is the Lambda-Runtime-Trace-Id the function is given.
func (t trace) runtime() string {
	return "Root=" + t.root + ";Parent=" + t.parent + ";Sampled=" + t.sampled
}

// header is the X-Amzn-Trace-Id the event's headers carry: the caller's as
// sent, or the Root of the trace the emulator started.
func (t trace) header() string {
	if t.sent != "" {
		return t.sent
	}
	return "Root=" + t.root
}
