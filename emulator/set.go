package emulator

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/lambdagrpc/lambdagrpc/internal/gotool"
)

// Set is several emulated functions, each with its own Runtime API, process
// and front doors, behind one Invoke API endpoint that finds them by name.
type Set struct {
	fns    []*Emulator
	byName map[string]*Emulator
	ln     net.Listener
	srv    *http.Server
}

// StartSet starts every function in cfgs and an Invoke API on invokeAddr
// ("" means a free loopback port). Function names must be unique.
func StartSet(ctx context.Context, invokeAddr string, cfgs ...Config) (*Set, error) {
	if len(cfgs) == 0 {
		return nil, errors.New("emulator: no functions to start")
	}
	if invokeAddr == "" {
		invokeAddr = "127.0.0.1:0"
	}
	// Every configuration is checked before any function binds an address.
	for i, cfg := range cfgs {
		if err := cfg.defaults(); err != nil {
			return nil, fmt.Errorf("function %d (%q): %w", i+1, cfg.Name, err)
		}
		if cfg.Package != "" && len(cfg.Command) == 0 {
			if err := gotool.CheckMain(ctx, cfg.Package); err != nil {
				return nil, fmt.Errorf("function %d (%q): emulator: %w", i+1, cfg.Name, err)
			}
		}
	}
	s := &Set{byName: make(map[string]*Emulator, len(cfgs))}
	for i, cfg := range cfgs {
		if cfg.Name == "" {
			cfg.Name = fmt.Sprintf("function%d", i+1)
		}
		if _, dup := s.byName[cfg.Name]; dup {
			_ = s.Close()
			return nil, fmt.Errorf("emulator: two functions are named %q", cfg.Name)
		}
		e, err := Start(ctx, cfg)
		if err != nil {
			_ = s.Close()
			return nil, fmt.Errorf("function %q: %w", cfg.Name, err)
		}
		s.fns = append(s.fns, e)
		s.byName[cfg.Name] = e
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", invokeAddr)
	if err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("emulator: Invoke API: %w", err)
	}
	s.ln = ln
	s.srv = &http.Server{Handler: &invokeAPI{find: s.Function}, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// InvokeEndpoint is the base URL of the shared Invoke API.
func (s *Set) InvokeEndpoint() string { return "http://" + s.ln.Addr().String() }

// Function returns the function named name, or nil.
func (s *Set) Function(name string) *Emulator { return s.byName[name] }

// Functions returns every function, in the order they were configured.
func (s *Set) Functions() []*Emulator { return s.fns }

// Close stops every function and the Invoke API.
func (s *Set) Close() error {
	var errs []error
	if s.srv != nil {
		errs = append(errs, s.srv.Close())
		_ = s.ln.Close() // as Emulator.Close: released even if Serve has not run yet
	}
	for _, e := range s.fns {
		errs = append(errs, e.Close())
	}
	return errors.Join(errs...)
}
