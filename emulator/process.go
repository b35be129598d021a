package emulator

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/lambdagrpc/lambdagrpc/internal/gotool"
)

// process runs the function as a child process, started on demand like
// Lambda's lazy init and restarted after a crash or a timeout.
type process struct {
	cfg    *Config
	rt     *runtimeAPI
	rtAddr string
	argv   []string
	dir    string // temporary build directory, removed on stop
	out    io.Writer

	mu         sync.Mutex
	cmd        *exec.Cmd
	started    time.Time
	ready      bool // it has polled /next since it started
	initTime   *time.Timer
	exited     chan struct{}
	stopped    bool
	restarting bool          // stopped on purpose by a rebuild
	killed     bool          // killed on purpose: a timeout, or a reset after an init error
	done       chan struct{} // closed by stop
	// failures counts the processes in a row that ended before their
	// first invocation; the next start waits until notBefore, later and
	// later, so a function that cannot start is not restarted in a loop.
	failures  int
	notBefore time.Time
	retry     *time.Timer // a start put off until notBefore
}

// Restarts after failed inits back off from restartBackoff, doubling up to
// maxRestartBackoff.
const (
	restartBackoff    = 100 * time.Millisecond
	maxRestartBackoff = 5 * time.Second
)

// newProcess prepares the function's process: it finds the binary, or
// checks and builds the package. start then gives it the Runtime API's
// address.
func newProcess(ctx context.Context, cfg *Config, rt *runtimeAPI) (*process, error) {
	p := &process{cfg: cfg, rt: rt, out: rt.logs, done: make(chan struct{})}
	if len(cfg.Command) > 0 {
		path, err := exec.LookPath(cfg.Command[0])
		if err != nil {
			return nil, fmt.Errorf("emulator: function binary %q: %w", cfg.Command[0], err)
		}
		// The process runs in its binary's folder, as Lambda runs a function
		// in LAMBDA_TASK_ROOT, so a relative path (bin/fn) must not be
		// resolved again from there.
		if path, err = filepath.Abs(path); err != nil {
			return nil, fmt.Errorf("emulator: function binary %q: %w", cfg.Command[0], err)
		}
		p.argv = append([]string{path}, cfg.Command[1:]...)
		return p, nil
	}
	if err := gotool.CheckMain(ctx, cfg.Package); err != nil {
		return nil, fmt.Errorf("emulator: %w", err)
	}
	dir, err := os.MkdirTemp("", "lambdagrpc-emulator-")
	if err != nil {
		return nil, err
	}
	bin := filepath.Join(dir, "bootstrap")
	if err := (gotool.Build{Package: cfg.Package, Output: bin, Target: runtime.GOOS + "/" + runtime.GOARCH, Progress: cfg.BuildOutput}).Run(ctx); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("emulator: %w", err)
	}
	p.dir = dir
	p.argv = []string{bin}
	return p, nil
}

// start gives the process the Runtime API's address and, with Watch,
// starts watching the package's sources.
func (p *process) start(ctx context.Context, rtAddr string) {
	p.mu.Lock()
	p.rtAddr = rtAddr
	p.mu.Unlock()
	if p.cfg.Watch && p.cfg.Package != "" {
		// The first look at the sources happens before Start returns, so a
		// change made right after it is a change.
		if dir, last, ok := p.watchStart(ctx); ok {
			go p.watch(context.WithoutCancel(ctx), dir, last)
		}
	}
}

// environ is the environment Lambda gives a function.
func (p *process) environ() []string {
	c := p.cfg
	initType := "on-demand"
	logFormat := "Text"
	if c.MaxConcurrency > 1 {
		initType = "lambda-managed-instances"
		logFormat = "JSON"
	}
	env := append(os.Environ(),
		"AWS_LAMBDA_RUNTIME_API="+p.rtAddr,
		"AWS_LAMBDA_FUNCTION_NAME="+c.Name,
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE="+strconv.Itoa(c.MemoryMB),
		"AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/"+c.Name,
		"AWS_LAMBDA_LOG_STREAM_NAME="+time.Now().UTC().Format("2006/01/02")+"/[$LATEST]"+randomHex(16),
		"AWS_LAMBDA_LOG_FORMAT="+logFormat,
		"AWS_LAMBDA_INITIALIZATION_TYPE="+initType,
		"AWS_REGION="+c.Region,
		"AWS_DEFAULT_REGION="+c.Region,
		"LAMBDA_TASK_ROOT="+filepath.Dir(p.argv[0]),
		"LAMBDA_RUNTIME_DIR=/var/runtime",
		"_HANDLER="+filepath.Base(p.argv[0]),
		"TZ=:UTC",
	)
	if c.MaxConcurrency > 1 {
		env = append(env, "AWS_LAMBDA_MAX_CONCURRENCY="+strconv.Itoa(c.MaxConcurrency))
	}
	return append(env, c.Env...)
}

// ensure starts the process unless it is running.
func (p *process) ensure() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped {
		return errors.New("the emulator is stopped")
	}
	if p.cmd != nil {
		if !p.killed && p.rt.hasInitError() {
			// Lambda resets an environment whose init failed: the next
			// invocation gets a new process.
			p.killLocked()
		}
		return nil
	}
	if wait := time.Until(p.notBefore); wait > 0 {
		if p.retry == nil {
			p.retry = time.AfterFunc(wait, p.retryStart)
		}
		return nil
	}
	cmd := exec.Command(p.argv[0], p.argv[1:]...)
	// The function is the emulator's to stop, as on Lambda: a Ctrl-C in
	// the terminal stops the emulator, which then stops the function.
	cmd.SysProcAttr = ownProcessGroup()
	cmd.Env = p.environ()
	cmd.Dir = filepath.Dir(p.argv[0])
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return err
	}
	// Connections accepted from now on are the new process's.
	p.rt.newGeneration()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting the function: %w", err)
	}
	p.cmd, p.started, p.ready, p.killed = cmd, time.Now(), false, false
	exited := make(chan struct{})
	p.exited = exited
	var lines sync.WaitGroup
	for _, r := range []io.Reader{stdout, stderr} {
		lines.Go(func() {
			sc := bufio.NewScanner(r)
			sc.Buffer(make([]byte, 64<<10), 1<<20)
			for sc.Scan() {
				_, _ = p.out.Write([]byte(sc.Text() + "\n"))
			}
		})
	}
	p.initTime = time.AfterFunc(p.cfg.InitTimeout, func() { p.initTimedOut(cmd) })
	go func() {
		lines.Wait()
		err := cmd.Wait()
		close(exited)
		p.exitedWith(cmd, err)
	}()
	p.cfg.Logger.Info("emulator: starting the function (cold start)", "function", p.cfg.Name, "pid", cmd.Process.Pid)
	return nil
}

// delivered is called when the runtime takes an invocation; the first time
// after a start, init is over.
func (p *process) delivered() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return
	}
	if !p.ready {
		p.ready = true
		p.initTime.Stop()
		p.cfg.Logger.Info("emulator: function initialised", "function", p.cfg.Name, "initDuration", time.Since(p.started).Round(time.Microsecond))
	}
}

func (p *process) initTimedOut(cmd *exec.Cmd) {
	p.mu.Lock()
	if p.cmd != cmd || p.ready {
		p.mu.Unlock()
		return
	}
	p.killLocked()
	p.mu.Unlock()
	p.cfg.Logger.Error("emulator: the function did not finish initialising in time", "function", p.cfg.Name, "initTimeout", p.cfg.InitTimeout)
	p.rt.failQueued(errorOutcome("Sandbox.Timedout", fmt.Sprintf("Init timed out after %.2f seconds", p.cfg.InitTimeout.Seconds())))
}

// timedOut is called when an invocation times out: Lambda resets the
// sandbox, so the process is killed and the next invocation starts afresh.
// Lambda Managed Instances do not: the invocation fails, and the process
// keeps serving the others.
func (p *process) timedOut() {
	if p.cfg.MaxConcurrency > 1 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil && !p.killed {
		p.killLocked()
	}
}

// killLocked kills the process on purpose; it is given no invocation
// meanwhile.
func (p *process) killLocked() {
	p.killed = true
	p.rt.holdDeliveries()
	_ = p.cmd.Process.Kill()
}

// retryStart starts the process put off by a backoff, if invocations still
// wait for it.
func (p *process) retryStart() {
	p.mu.Lock()
	p.retry = nil
	p.mu.Unlock()
	if p.rt.waiting() > 0 {
		if err := p.ensure(); err != nil {
			p.rt.failQueued(errorOutcome("Runtime.ExitError", err.Error()))
		}
	}
}

func (p *process) exitedWith(cmd *exec.Cmd, err error) {
	p.mu.Lock()
	if p.cmd == cmd {
		p.cmd = nil
		// Nothing is delivered until the next process starts.
		p.rt.holdDeliveries()
	}
	stopped, restarting, killed, ready := p.stopped, p.restarting, p.killed, p.ready
	p.restarting = false
	switch {
	case stopped, restarting:
	case ready:
		p.failures = 0
	default:
		p.failures++
		backoff := min(restartBackoff<<(p.failures-1), maxRestartBackoff)
		p.notBefore = time.Now().Add(backoff)
		p.cfg.Logger.Warn("emulator: the function ended before its first invocation; the next start waits", "function", p.cfg.Name, "failures", p.failures, "backoff", backoff)
	}
	p.mu.Unlock()
	if stopped {
		return
	}
	if restarting {
		p.cfg.Logger.Info("emulator: the previous build stopped", "function", p.cfg.Name)
		p.rt.failDelivered("Runtime.ExitError", "the function was restarted by a rebuild")
	} else {
		msg := "Runtime exited without providing a reason"
		if err != nil {
			msg = "Runtime exited with error: " + err.Error()
		}
		p.cfg.Logger.Warn("emulator: the function process exited", "function", p.cfg.Name, "error", msg)
		p.rt.failDelivered("Runtime.ExitError", msg)
		if !ready && !killed {
			// It exited during its init: the invocations that wait for it
			// fail now, as Lambda fails the invocation whose init failed.
			p.rt.failWaiting(func(inv *invocation) *outcome { return exitOutcome(inv, "Runtime.ExitError", msg) })
		}
	}
	// Invocations still queued need a new process.
	if p.rt.waiting() > 0 {
		if err := p.ensure(); err != nil {
			p.rt.failQueued(errorOutcome("Runtime.ExitError", err.Error()))
		}
	}
}

// stopGrace is how long a stopped function has between SIGTERM and SIGKILL.
const stopGrace = 2 * time.Second

// stop ends the process (SIGTERM, then SIGKILL after stopGrace) and removes
// the build directory. A process that exits 0 or by the SIGTERM itself
// stopped cleanly; anything else is logged.
func (p *process) stop() {
	p.mu.Lock()
	if !p.stopped {
		close(p.done)
	}
	p.stopped = true
	cmd, exited := p.cmd, p.exited
	if p.retry != nil {
		p.retry.Stop()
	}
	p.mu.Unlock()
	if cmd != nil {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
			if !stoppedCleanly(cmd.ProcessState) {
				p.cfg.Logger.Warn("emulator: the function did not exit cleanly when stopped", "function", p.cfg.Name, "exit", cmd.ProcessState.String())
			}
		case <-time.After(stopGrace):
			_ = cmd.Process.Kill()
			<-exited
			p.cfg.Logger.Warn("emulator: the function did not stop within the grace period after SIGTERM; killed it", "function", p.cfg.Name, "grace", stopGrace)
		}
	}
	if p.dir != "" {
		os.RemoveAll(p.dir)
	}
}
