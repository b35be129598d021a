package emulator

import (
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/lambdagrpc/lambdagrpc/internal/runtimeapi"
)

// Runtime API endpoints a Fault can target.
const (
	EndpointNext      = "next"
	EndpointResponse  = "response"
	EndpointError     = "error"
	EndpointInitError = "init/error"
)

// Fault makes the Runtime API misbehave, so tests can see how a runtime
// copes: an error status, a dropped connection or a slow answer.
type Fault struct {
	// Endpoint is EndpointNext, EndpointResponse, EndpointError or
	// EndpointInitError.
	Endpoint string
	// Status, when set, answers with this HTTP status and a Lambda error
	// body instead of handling the request. A rejected /response leaves its
	// invocation unanswered, so it later times out.
	Status int
	// Drop closes the connection without an answer.
	Drop bool
	// Delay holds the request this long before handling it (or failing it).
	Delay time.Duration
	// Count is how many requests the fault applies to. Default 1.
	Count int
}

type faults struct {
	mu      sync.Mutex
	pending []Fault
}

// InjectFault queues a fault for the next matching Runtime API requests.
// Faults apply in the order injected.
func (e *Emulator) InjectFault(f Fault) {
	if f.Count <= 0 {
		f.Count = 1
	}
	e.rt.faults.mu.Lock()
	defer e.rt.faults.mu.Unlock()
	e.rt.faults.pending = append(e.rt.faults.pending, f)
}

func endpointOf(path string) string {
	switch {
	case path == runtimeapi.PathNext:
		return EndpointNext
	case path == runtimeapi.PathInitError:
		return EndpointInitError
	case strings.HasSuffix(path, runtimeapi.SuffixResponse):
		return EndpointResponse
	case strings.HasSuffix(path, runtimeapi.SuffixError):
		return EndpointError
	}
	return ""
}

// take returns the first pending fault for endpoint, if any.
func (f *faults) take(endpoint string) (Fault, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, ft := range f.pending {
		if ft.Endpoint != endpoint {
			continue
		}
		ft.Count--
		if ft.Count <= 0 {
			f.pending = append(f.pending[:i], f.pending[i+1:]...)
		} else {
			f.pending[i] = ft
		}
		return ft, true
	}
	return Fault{}, false
}

// apply performs a fault; it reports whether the request was answered (or
// dropped) and must not be handled.
func (f Fault) apply(w http.ResponseWriter, r *http.Request) bool {
	if f.Delay > 0 {
		select {
		case <-time.After(f.Delay):
		case <-r.Context().Done():
			return true
		}
	}
	switch {
	case f.Drop:
		_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 8<<20))
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
				return true
			}
		}
		panic(http.ErrAbortHandler)
	case f.Status != 0:
		_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 8<<20))
		writeError(w, f.Status, "Injected.Fault", "fault injected by the emulator")
		return true
	}
	return false
}
