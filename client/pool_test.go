package client

import (
	"bytes"
	"errors"
	"io"
	"sync"
	"testing"
)

func TestBufferClasses(t *testing.T) {
	for _, tc := range []struct{ n, size int }{
		{0, -1}, {minPooled - 1, -1}, {minPooled, 4 << 10}, {minPooled + 1, 5 << 10}, {8 << 10, 8 << 10},
		{256<<10 + 11, 320 << 10}, {1<<20 + 11, 1280 << 10}, {maxPooledCap, maxPooledCap}, {maxPooledCap + 1, -1},
	} {
		i := class(tc.n)
		if (tc.size < 0) != (i < 0) || (i >= 0 && classSizes[i] != tc.size) {
			t.Errorf("class(%d) = %d, want size %d", tc.n, i, tc.size)
		}
		b := getBuf(tc.n)
		if len(b) != tc.n || (tc.size > 0 && cap(b) != tc.size) {
			t.Errorf("getBuf(%d): len %d cap %d", tc.n, len(b), cap(b))
		}
	}
	// No class wastes more than a quarter of its buffer.
	for i := 1; i < len(classSizes); i++ {
		if over := float64(classSizes[i]) / float64(classSizes[i-1]+1); over > 1.34 {
			t.Errorf("class %d (%d bytes) after %d: %.2f× too coarse", i, classSizes[i], classSizes[i-1], over)
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
	// A reopening after the call (GetBody from a custom RoundTripper) fails
	// instead of sending an empty body.
	late := sb.open()
	if n, err := late.Read(make([]byte, 10)); n != 0 || !errors.Is(err, errBodyRecycled) {
		t.Fatalf("late reader: %d bytes, %v", n, err)
	}
	_ = late.Close()
	if sb.refs != 0 {
		t.Fatalf("the late reader changed the count to %d", sb.refs)
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
