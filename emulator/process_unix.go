//go:build unix

package emulator

import (
	"os"
	"syscall"
)

// stoppedCleanly reports an exit status 0, or an end by the SIGTERM the
// emulator sent (a runtime without a handler for it).
func stoppedCleanly(ps *os.ProcessState) bool {
	if ps == nil {
		return false
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return ws.Signal() == syscall.SIGTERM
	}
	return ps.Success()
}
