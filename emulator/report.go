package emulator

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// usage is what a REPORT line says about the process that ran an
// invocation, beyond its duration.
type usage struct {
	pid      int           // the function process, 0 when the emulator runs none
	peakKB   int64         // its peak resident memory when the invocation began
	initTime time.Duration // its init, for the first invocation it ran
}

// noteDelivery records which process took inv and, for the first
// invocation a process takes, how long its init lasted (from its start to
// this delivery). It runs before the starter learns of the delivery.
func (rt *runtimeAPI) noteDelivery(inv *invocation) {
	p, ok := rt.starter.(*process)
	if !ok {
		return
	}
	p.mu.Lock()
	var u usage
	started, cold := p.started, p.cmd != nil && !p.ready
	if p.cmd != nil && p.cmd.Process != nil {
		u.pid = p.cmd.Process.Pid
	}
	p.mu.Unlock()
	u.peakKB = peakRSS(u.pid)
	rt.mu.Lock()
	defer rt.mu.Unlock()
	// With concurrency above 1 several polls may take invocations before
	// init is marked over: only the first reports it.
	if cold && !started.Equal(rt.initReported) {
		rt.initReported = started
		u.initTime = inv.delivery.Sub(started)
	}
	inv.usage = u
}

// reportDetails is the end of inv's REPORT line: Max Memory Used (the
// process's peak resident memory, where the system says it) and, on a cold
// start, Init Duration.
func reportDetails(inv *invocation) string {
	var b strings.Builder
	if inv.usage.pid != 0 {
		kb := max(inv.usage.peakKB, peakRSS(inv.usage.pid))
		if kb > 0 {
			fmt.Fprintf(&b, "\tMax Memory Used: %d MB", (kb+1023)/1024)
		}
	}
	if d := inv.usage.initTime; d > 0 {
		fmt.Fprintf(&b, "\tInit Duration: %.2f ms", float64(d)/float64(time.Millisecond))
	}
	return b.String()
}

// peakRSS is process pid's peak resident set size in kB (VmHWM in
// /proc/PID/status), or 0 where it cannot be read: a process that has
// exited, or a system without /proc.
func peakRSS(pid int) int64 {
	if pid <= 0 {
		return 0
	}
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return n
		}
	}
	return 0
}
