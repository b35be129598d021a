package client

import (
	"bytes"
	"io"
	"sync"
	"testing"
)

func TestBufferClasses(t *testing.T) {
	for _, tc := range []struct{ n, class int }{
		{0, -1}, {minPooled - 1, -1}, {minPooled, 0}, {minPooled + 1, 1}, {8 << 10, 1},
		{256<<10 + 5, 7}, {maxPooledCap, poolClasses - 1}, {maxPooledCap + 1, -1},
	} {
		if got := class(tc.n); got != tc.class {
			t.Errorf("class(%d) = %d, want %d", tc.n, got, tc.class)
		}
		b := getBuf(tc.n)
		if len(b) != tc.n || (tc.class >= 0 && cap(b) != minPooled<<tc.class) {
			t.Errorf("getBuf(%d): len %d cap %d", tc.n, len(b), cap(b))
		}
	}
	// A buffer of a class size comes back; others are left to the GC.
	b := getBuf(5000)
	b[0] = 42
	putBuf(b)
	putBuf(make([]byte, 5000)) // not a class size: dropped
}

// TestSharedBody: the bytes go back to the pool only when the call and
// every reader are done; a reader closed while another goroutine reads it
// fails that read cleanly; a retry (GetBody) reads the whole body again.
func TestSharedBody(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789"), 1000)
	sb := newSharedBody(append(getBuf(len(data))[:0], data...))
	first := sb.open()
	got, err := io.ReadAll(io.LimitReader(first, 100))
	if err != nil || len(got) != 100 {
		t.Fatalf("first reader: %d bytes, %v", len(got), err)
	}
	retry := sb.open() // as GetBody does
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := first.Read(make([]byte, 10)); err == nil {
		t.Fatal("read after close succeeded")
	}
	all, err := io.ReadAll(retry)
	if err != nil || !bytes.Equal(all, data) {
		t.Fatalf("retry read %d bytes (%v), want the whole body", len(all), err)
	}
	_ = retry.Close()
	if sb.b == nil {
		t.Fatal("the body was recycled while the call still held it")
	}
	sb.release() // the call is done
	if sb.b != nil || sb.refs != 0 {
		t.Fatalf("after the last release: refs %d, bytes kept %v", sb.refs, sb.b != nil)
	}

	// Reads and closes from two goroutines, under the race detector.
	sb = newSharedBody(append(getBuf(len(data))[:0], data...))
	r := sb.open()
	var wg sync.WaitGroup
	wg.Go(func() { _, _ = io.Copy(io.Discard, r) })
	wg.Go(func() { _ = r.Close() })
	wg.Wait()
	sb.release()
}
