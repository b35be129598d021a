package gopool

import (
	"sync"
	"testing"
	"time"
)

// funcTask runs a func as a Task.
type funcTask func()

func (f funcTask) Run() { f() }

func TestRunRunsEveryTask(t *testing.T) {
	var wg sync.WaitGroup
	var mu sync.Mutex
	seen := map[int]bool{}
	for i := range 100 {
		wg.Add(1)
		Run(funcTask(func() {
			defer wg.Done()
			mu.Lock()
			seen[i] = true
			mu.Unlock()
		}))
	}
	wg.Wait()
	if len(seen) != 100 {
		t.Fatalf("ran %d functions of 100", len(seen))
	}
}

// A task that blocks does not keep Run from running the next one: Run
// never waits for a goroutine to be free.
func TestRunNeverWaits(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{}, 3)
	for range 3 {
		Run(funcTask(func() {
			started <- struct{}{}
			<-release
		}))
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
