// Package gopool runs functions on goroutines that outlive them for a
// moment, to take the next one with the stack they have grown.
//
// A new goroutine starts with a small stack, which a gRPC handler that
// decodes a message grows, copying it, several times. For a batch of
// queued records, each a call on a goroutine of its own (so that it can be
// cut off, and so that records run side by side), that copying took a
// quarter of the time. [Run] hands a task to a goroutine that waits
// for work, or starts one when none does: it never blocks, never bounds
// how many run at once, and a goroutine that waits longer than a moment
// ends, so none lingers once calls stop coming.
package gopool

import "time"

// idle is how long a goroutine waits for another function. The calls of
// one invocation, and of invocations back to back, come sooner.
const idle = 50 * time.Millisecond

// Task is work for a goroutine: [Run] runs its Run method. A caller whose
// work is already a pointer to a struct can hand it over as it is, without
// the closure a func would need.
type Task interface{ Run() }

// work hands a task to a waiting goroutine.
var work = make(chan Task)

// Run runs t.Run on a waiting goroutine, or on a new one.
func Run(t Task) {
	select {
	case work <- t:
	default:
		go worker(t)
	}
}

// worker runs f, then the tasks handed to it, until it has waited idle
// for one.
func worker(f Task) {
	var t *time.Timer
	for {
		f.Run()
		if t == nil {
			t = time.NewTimer(idle)
		} else {
			t.Reset(idle)
		}
		select {
		case f = <-work:
		case <-t.C:
			return
		}
	}
}
