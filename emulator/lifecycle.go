package emulator

import (
	"context"
	"fmt"
	"net"
	"net/http"

	"github.com/lambdagrpc/lambdagrpc/internal/runtimeapi"
)

// lifecycle is the Runtime API's view of the runtime's life: which
// process may poll, whether it failed its init, and which invocations wait
// for it. Its fields are guarded by runtimeAPI.mu.
//
// Each process the emulator starts is a new generation. A connection to the
// Runtime API belongs to the generation current when it was accepted, so a
// poll left behind by a process that was killed (a timeout) or that exited
// is never handed an invocation meant for its successor.
type lifecycle struct {
	gen uint64
	// initErr is the init error the current generation reported: its
	// polls are refused and, with no process to reset, invocations fail
	// with it.
	initErr *outcome
	// changed is closed, and replaced, when held, gen or initErr change,
	// to wake the polls that wait.
	changed chan struct{}
	// pending counts the invocations neither delivered nor finished.
	pending int
	// retired lists finished invocations, oldest first: each stays known
	// (its late posts get the right status) until at least retainFinished
	// newer ones have finished.
	retired []string
}

// retainFinished is how many finished invocations the Runtime API at least
// keeps knowing about; it forgets older ones in batches, once twice as many
// have finished.
const retainFinished = 8192

type generationKey struct{}

// connContext stamps a Runtime API connection with the current generation.
func (rt *runtimeAPI) connContext(ctx context.Context, _ net.Conn) context.Context {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return context.WithValue(ctx, generationKey{}, rt.gen)
}

// generation is the generation of the process that sent r.
func (rt *runtimeAPI) generation(r *http.Request) (uint64, bool) {
	g, ok := r.Context().Value(generationKey{}).(uint64)
	return g, ok
}

func (rt *runtimeAPI) signalLocked() {
	close(rt.changed)
	rt.changed = make(chan struct{})
}

// newGeneration is called before a new process starts: its polls are
// served, the previous ones' are not, and held invocations are released to
// it.
func (rt *runtimeAPI) newGeneration() {
	rt.mu.Lock()
	rt.gen++
	rt.initErr = nil
	rt.signalLocked()
	rt.mu.Unlock()
	rt.releaseDeliveries()
}

// refusalLocked says why a poll from generation g (ok: it has one) gets no
// invocation, or returns nil.
func (rt *runtimeAPI) refusalLocked(g uint64, ok bool) func(http.ResponseWriter) {
	switch {
	case ok && g != rt.gen:
		// The process that opened the connection is gone.
		return func(w http.ResponseWriter) {
			writeError(w, http.StatusInternalServerError, runtimeapi.ErrorTypeContainerError, "Container error. Non-recoverable state.")
		}
	case rt.initErr != nil:
		return func(w http.ResponseWriter) {
			writeError(w, http.StatusForbidden, runtimeapi.ErrorTypeInvalidStateTransition, "State transition from InitError to Ready failed for runtime")
		}
	}
	return nil
}

// take waits for a concurrency slot and an invocation for the poll r, and
// returns the invocation, marked delivered, with rt.mu held. It returns nil,
// without the lock, when it answered the runtime itself or the runtime
// left.
func (rt *runtimeAPI) take(w http.ResponseWriter, r *http.Request) *invocation {
	g, ok := rt.generation(r)
	rt.mu.Lock()
	refuse := rt.refusalLocked(g, ok)
	rt.mu.Unlock()
	if refuse != nil {
		refuse(w)
		return nil
	}
	// A slot first: with concurrency N, at most N invocations are in flight
	// whatever the runtime does.
	select {
	case <-rt.slots:
	case <-r.Context().Done():
		return nil
	case <-rt.closed:
		writeError(w, http.StatusInternalServerError, runtimeapi.ErrorTypeContainerError, "Container error. Non-recoverable state.")
		return nil
	}
	for {
		rt.mu.Lock()
		if refuse := rt.refusalLocked(g, ok); refuse != nil {
			rt.mu.Unlock()
			rt.slots <- struct{}{}
			refuse(w)
			return nil
		}
		if rt.hold == nil && len(rt.held) > 0 && r.Context().Err() == nil {
			inv := rt.held[0]
			rt.held = rt.held[1:]
			if !inv.finished {
				rt.deliverLocked(inv)
				return inv
			}
			rt.mu.Unlock()
			continue
		}
		// While deliveries are held, wait for their release, not for the
		// queue (a nil channel never delivers; hold is nil otherwise).
		queue, hold, changed := rt.queue, rt.hold, rt.changed
		if hold != nil {
			queue = nil
		}
		rt.mu.Unlock()
		var inv *invocation
		select {
		case inv = <-queue:
		case <-hold:
			continue
		case <-changed:
			continue
		case <-r.Context().Done():
			rt.slots <- struct{}{}
			return nil
		case <-rt.closed:
			rt.slots <- struct{}{}
			writeError(w, http.StatusInternalServerError, runtimeapi.ErrorTypeContainerError, "Container error. Non-recoverable state.")
			return nil
		}
		rt.mu.Lock()
		switch {
		case inv.finished: // it gave up waiting
			rt.mu.Unlock()
		case rt.hold != nil || rt.refusalLocked(g, ok) != nil || r.Context().Err() != nil:
			// Not for this poll: first in line for the next one.
			rt.held = append(rt.held, inv)
			rt.signalLocked()
			rt.mu.Unlock()
		default:
			rt.deliverLocked(inv)
			return inv
		}
	}
}

func (rt *runtimeAPI) deliverLocked(inv *invocation) {
	inv.delivered = true
	rt.pending--
}

// refuseInitError answers an init error the runtime may not report: from a
// process that is gone, or a second one.
func (rt *runtimeAPI) refuseInitError(w http.ResponseWriter, r *http.Request) bool {
	g, ok := rt.generation(r)
	rt.mu.Lock()
	defer rt.mu.Unlock()
	switch {
	case ok && g != rt.gen:
		writeError(w, http.StatusInternalServerError, runtimeapi.ErrorTypeContainerError, "Container error. Non-recoverable state.")
	case rt.initErr != nil:
		writeError(w, http.StatusForbidden, runtimeapi.ErrorTypeInvalidStateTransition, "State transition from InitError to InitError failed for runtime")
	default:
		return false
	}
	return true
}

// initFailed records the init error of r's generation; it reports false if
// one was recorded already. The runtime's later polls are refused: it is
// expected to exit, and the process is reset when an invocation needs it.
func (rt *runtimeAPI) initFailed(r *http.Request, o *outcome) bool {
	g, ok := rt.generation(r)
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.initErr != nil || (ok && g != rt.gen) {
		return false
	}
	rt.initErr = o
	rt.signalLocked() // polls waiting already are refused too
	return true
}

// hasInitError reports whether the current generation reported an init
// error.
func (rt *runtimeAPI) hasInitError() bool {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return rt.initErr != nil
}

// failWaiting ends every invocation that waits for a runtime with the
// outcome o gives it.
func (rt *runtimeAPI) failWaiting(o func(*invocation) *outcome) {
	rt.mu.Lock()
	held := rt.held
	rt.held = nil
	for _, inv := range held {
		rt.finishLocked(inv, o(inv))
	}
	// Only those queued now: a caller answered below may send its next
	// invocation at once, and that one waits for the next process.
	n := len(rt.queue)
	rt.mu.Unlock()
	for range n {
		select {
		case inv := <-rt.queue:
			rt.finish(inv, o(inv))
		default:
			return
		}
	}
}

// exitOutcome is how an invocation fails when the runtime's process ends
// under it or before it.
func exitOutcome(inv *invocation, errType, msg string) *outcome {
	return errorOutcome(errType, fmt.Sprintf("RequestId: %s Error: %s", inv.id, msg))
}

// retireLocked keeps what late posts about a finished invocation need and
// forgets the oldest finished invocations beyond retainFinished.
func (rt *runtimeAPI) retireLocked(inv *invocation) {
	rt.invs[inv.id] = &invocation{
		id:           inv.id,
		invocationID: inv.invocationID,
		delivered:    inv.delivered,
		responded:    inv.responded,
		timedOut:     inv.timedOut,
		finished:     true,
	}
	rt.retired = append(rt.retired, inv.id)
	if len(rt.retired) >= 2*retainFinished {
		old := len(rt.retired) - retainFinished
		for _, id := range rt.retired[:old] {
			delete(rt.invs, id)
		}
		rt.retired = append(rt.retired[:0], rt.retired[old:]...)
	}
}
