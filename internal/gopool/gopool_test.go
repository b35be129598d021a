package gopool

import (
	"sync"
	"testing"
	"time"
)

func TestGoRunsEveryFunction(t *testing.T) {
	var wg sync.WaitGroup
	var mu sync.Mutex
	seen := map[int]bool{}
	for i := range 100 {
		wg.Add(1)
		Go(func() {
			defer wg.Done()
			mu.Lock()
			seen[i] = true
			mu.Unlock()
		})
	}
	wg.Wait()
	if len(seen) != 100 {
		t.Fatalf("ran %d functions of 100", len(seen))
	}
}

// A function that blocks does not keep Go from running the next one: Go
// never waits for a goroutine to be free.
func TestGoNeverWaits(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{}, 3)
	for range 3 {
		Go(func() {
			started <- struct{}{}
			<-release
		})
	}
	timeout := time.After(5 * time.Second)
	for range 3 {
		select {
		case <-started:
		case <-timeout:
			t.Fatal("a function did not start while the others blocked")
		}
	}
	close(release)
}
