package emulator

import (
	"fmt"
	"io"
	"strings"
	"sync"
)

// logRing keeps the function's recent log output, for Invoke's log tail
// (X-Amz-Log-Type: Tail), and copies it to Config.Output.
type logRing struct {
	mu     sync.Mutex
	buf    []byte
	total  int64 // bytes ever written; buf holds the last len(buf) of them
	out    io.Writer
	prefix string
}

const logRingSize = 256 << 10

func newLogRing(cfg *Config) *logRing {
	return &logRing{out: cfg.Output, prefix: "[" + cfg.Name + "] "}
}

func (l *logRing) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(l.buf, p...)
	l.total += int64(len(p))
	if over := len(l.buf) - logRingSize; over > 0 {
		l.buf = append(l.buf[:0], l.buf[over:]...)
	}
	if l.out != nil {
		// Writers hand over whole lines.
		_, _ = io.WriteString(l.out, l.prefix+string(p))
	}
	return len(p), nil
}

// raw writes text to Output as it is, without the function's prefix and
// without keeping it for log tails: it is the emulator's, not the
// function's.
func (l *logRing) raw(text string) {
	if text == "" {
		return
	}
	if !strings.HasSuffix(text, "\n") {
		text += "\n"
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.out != nil {
		_, _ = io.WriteString(l.out, text)
	}
}

func (l *logRing) printf(format string, args ...any) {
	_, _ = fmt.Fprintf(l, format+"\n", args...)
}

func (l *logRing) offset() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.total
}

// tail returns at most n bytes of what was written since offset from.
func (l *logRing) tail(from int64, n int) []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	start := l.total - int64(len(l.buf))
	if from < start {
		from = start
	}
	b := l.buf[from-start:]
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return append([]byte(nil), b...)
}
