package main

import (
	"archive/zip"
	"context"
	"debug/elf"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/lambdagrpc/lambdagrpc/emulator"
	"github.com/lambdagrpc/lambdagrpc/internal/gotool"
)

// templateFlags are the flags of `emulate --template`.
type templateFlags struct {
	file        string
	params      envFlag
	sqsEndpoint string
}

// addTemplateFlags adds --template and --parameter to emulate's flags.
func addTemplateFlags(fs *flag.FlagSet) *templateFlags {
	t := &templateFlags{}
	fs.StringVar(&t.file, "template", "", "run the functions of the SAM or CloudFormation template `FILE` (YAML or JSON; see docs/emulator.md), each with the front doors it declares, on consecutive ports from --addr's (port 0: free ports); the template sets everything else, so only --addr, --invoke-addr, --concurrency, --parameter, --probe and -v go with it, and no PACKAGE_OR_BINARY")
	fs.StringVar(&t.sqsEndpoint, "sqs-endpoint", "", "with --template: the SQS-compatible server (`URL`) on which the queues of the functions' SQS events are polled, found by name (default: AWS's, in the template's region)")
	fs.Var(&t.params, "parameter", "the value of a template parameter, `NAME=VALUE`, over its Default (repeatable; with --template)")
	return t
}

// templateAllowed are the emulate flags that apply with --template: the
// template gives every other setting.
var templateAllowed = []string{"template", "parameter", "addr", "invoke-addr", "concurrency", "probe", "v", "sqs-endpoint"}

// emulate runs the template's functions until ctx ends.
func (tf *templateFlags) emulate(ctx context.Context, fs *flag.FlagSet, stdout, stderr io.Writer, logger *slog.Logger, buildOutput io.Writer) error {
	if fs.NArg() != 0 {
		return errors.New("give either --template or a package or binary, not both")
	}
	var other []string
	fs.Visit(func(f *flag.Flag) {
		if !slices.Contains(templateAllowed, f.Name) {
			other = append(other, "--"+f.Name)
		}
	})
	if len(other) > 0 {
		return fmt.Errorf("%s: not with --template, whose functions say how they run (--template takes --addr, --invoke-addr, --concurrency, --parameter, --sqs-endpoint, --probe and -v)", strings.Join(other, ", "))
	}
	params := map[string]string{}
	for _, p := range tf.params {
		k, v, _ := strings.Cut(p, "=")
		params[k] = v
	}
	tpl, err := loadTemplate(tf.file, params)
	if err != nil {
		return err
	}
	for _, n := range tpl.Notes {
		fmt.Fprintf(stderr, "lambdagrpc: %s: %s\n", tf.file, n)
	}
	host, port, err := net.SplitHostPort(fs.Lookup("addr").Value.String())
	if err != nil {
		return fmt.Errorf("--addr: %w", err)
	}
	base, err := strconv.Atoi(port)
	if err != nil {
		return fmt.Errorf("--addr: port %q: %w", port, err)
	}
	concurrency, _ := strconv.Atoi(fs.Lookup("concurrency").Value.String())
	dir, err := os.MkdirTemp("", "lambdagrpc-template-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	plans, err := layoutTemplate(tpl, host, base)
	if err != nil {
		return err
	}
	urls := templateURLs(plans)
	builds := map[string]string{}
	var cfgs []emulator.Config
	for _, p := range plans {
		bin, code, err := prepareCode(ctx, p.fn, dir, builds, stderr, buildOutput)
		if err != nil {
			return fmt.Errorf("%s: resource %s: %w", tf.file, p.fn.LogicalID, err)
		}
		p.code = code
		cfg := p.config(bin, urls, concurrency, stderr, logger)
		for i := range cfg.SQS {
			cfg.SQS[i].Endpoint = tf.sqsEndpoint
		}
		cfgs = append(cfgs, cfg)
	}
	set, err := emulator.StartSet(ctx, fs.Lookup("invoke-addr").Value.String(), cfgs...)
	if err != nil {
		return portHint(err, "--addr (the first port of the template's front doors) or --invoke-addr")
	}
	defer func() {
		if cerr := set.Close(); cerr != nil {
			fmt.Fprintln(stderr, "lambdagrpc: stopping the emulator:", cerr)
		}
	}()
	probe := fs.Lookup("probe").Value.String() == "true"
	for i, e := range set.Functions() {
		url := plans[i].describe(stdout, e)
		callHint(ctx, stdout, stderr, e.Config().Name, url, probe)
	}
	fmt.Fprintf(stdout, "Invoke API (all functions)  %s\n", set.InvokeEndpoint())
	fmt.Fprintln(stdout, "\nPress Ctrl-C to stop.")
	<-ctx.Done()
	fmt.Fprintln(stderr, "lambdagrpc: stopping")
	return nil
}

// templatePlan is how one function of a template runs: the addresses of
// its front doors.
type templatePlan struct {
	fn      *samFunction
	urlAddr string
	doors   []string // the address of each of fn.Doors
	code    string   // what runs, for people
}

// layoutTemplate gives each front door the template declares an address:
// consecutive ports from base, in the order they are printed, or free
// ports when base is 0. The emulator's own Function URL of a function the
// template gives none takes a free port. A Function URL whose address the
// template's environment takes, and a door the emulator could not tell
// apart from another of its kind, take a port chosen here.
func layoutTemplate(tpl *samTemplate, host string, base int) ([]*templatePlan, error) {
	next := base
	addr := func(known bool) (string, error) {
		if base != 0 {
			if next > 65535 {
				return "", fmt.Errorf("--addr: the template's front doors do not fit between port %d and 65535", base)
			}
			next++
			return net.JoinHostPort(host, strconv.Itoa(next-1)), nil
		}
		if !known {
			return net.JoinHostPort(host, "0"), nil
		}
		l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			return "", err
		}
		defer func() { _ = l.Close() }()
		return l.Addr().String(), nil
	}
	var plans []*templatePlan
	for _, fn := range tpl.Functions {
		p := &templatePlan{fn: fn, urlAddr: net.JoinHostPort(host, "0")}
		var err error
		if fn.URL != nil {
			if p.urlAddr, err = addr(fn.URLReferenced); err != nil {
				return nil, err
			}
		}
		seen := map[emulator.FrontDoorKind]bool{}
		for _, d := range fn.Doors {
			a, err := addr(seen[d.Kind])
			if err != nil {
				return nil, err
			}
			seen[d.Kind] = true
			p.doors = append(p.doors, a)
		}
		plans = append(plans, p)
	}
	return plans, nil
}

// templateURLs are the addresses of the Function URLs of plans, by the
// logical id of the URL's resource, for the urlMarkers of the template's
// environment: a URL the environment takes has a port of its own.
func templateURLs(plans []*templatePlan) map[string]string {
	urls := map[string]string{}
	for _, p := range plans {
		if p.fn.URL != nil {
			urls[p.fn.URLID] = "http://" + p.urlAddr + "/"
		}
	}
	return urls
}

// config is the emulator's configuration of the plan's function. urls are
// the addresses of the template's Function URLs, by resource.
func (p *templatePlan) config(bin string, urls map[string]string, concurrency int, output io.Writer, logger *slog.Logger) emulator.Config {
	fn := p.fn
	env := fn.Environ()
	for i, kv := range env {
		env[i] = withURLs(kv, urls)
	}
	cfg := emulator.Config{
		Name:                fn.Name,
		Command:             []string{bin},
		Addr:                p.urlAddr,
		InvokeMode:          fn.InvokeMode(),
		Timeout:             fn.Timeout,
		MemoryMB:            fn.MemoryMB,
		MaxConcurrency:      concurrency,
		ReservedConcurrency: fn.Reserved,
		Region:              templateRegion,
		Env:                 env,
		Output:              output,
		Logger:              logger,
	}
	if fn.URL != nil {
		cfg.AuthType, cfg.CORS = fn.URL.AuthType, fn.URL.CORS
	}
	for i, d := range fn.Doors {
		cfg.FrontDoors = append(cfg.FrontDoors, emulator.FrontDoor{Kind: d.Kind, Addr: p.doors[i], Stage: d.Stage})
	}
	for _, q := range fn.Queues {
		cfg.SQS = append(cfg.SQS, emulator.SQSMapping{QueueURL: q.Queue, BatchSize: q.BatchSize, BatchingWindow: q.Window, ReportBatchItemFailures: q.ReportFailures})
	}
	return cfg
}

// describe prints the function's front doors and returns the URL its
// ready-made call uses: its Function URL, else its first door's.
func (p *templatePlan) describe(w io.Writer, e *emulator.Emulator) string {
	fn := p.fn
	fmt.Fprintf(w, "\nfunction %q (resource %s: %s), %d MB, timeout %s, invoke mode %s\n", fn.Name, fn.LogicalID, p.code, fn.MemoryMB, fn.Timeout, fn.InvokeMode())
	call := ""
	if fn.URL != nil {
		call = e.URL()
		what := fn.URL.From + ", AuthType " + fn.URL.AuthType
		if fn.URL.CORS != nil {
			what += ", CORS"
		}
		fmt.Fprintf(w, "  %-15s %-36s %s\n", "Function URL", e.URL(), what)
	} else {
		fmt.Fprintf(w, "  %-15s %-36s %s\n", "Function URL", e.URL(), "not in the template: the emulator's own, for local calls")
	}
	for i, d := range fn.Doors {
		url := doorURL(e, d, p.doors[i])
		if call == "" {
			call = url
		}
		for j, r := range d.Routes {
			what := fmt.Sprintf("event %s: %s %s", r.Event, r.Method, r.Path)
			if j == 0 {
				what += ", stage " + d.Stage
				if d.Kind == emulator.HTTPAPI || d.Kind == emulator.HTTPAPIv1 {
					what += map[bool]string{true: ", payload 2.0", false: ", payload 1.0"}[d.Kind == emulator.HTTPAPI]
				}
				fmt.Fprintf(w, "  %-15s %-36s %s\n", d.Kind, url, what)
				continue
			}
			fmt.Fprintf(w, "  %-15s %-36s %s\n", "", "", what)
		}
	}
	fmt.Fprintf(w, "  %-15s %s\n", "Invoke API", e.InvokeEndpoint())
	fmt.Fprintf(w, "  %-15s %s\n\n", "Runtime API", e.RuntimeAPIAddr())
	if call == "" {
		call = e.URL()
	}
	return call
}

// doorURL is the base URL of door d, which listens on addr or, for port
// 0, where the emulator bound it.
func doorURL(e *emulator.Emulator, d *samDoor, addr string) string {
	if strings.HasSuffix(addr, ":0") {
		return e.FrontDoorURL(d.Kind)
	}
	url := "http://" + addr
	if d.Kind == emulator.REST || d.Kind == emulator.RESTStream || d.Stage != "$default" {
		url += "/" + d.Stage
	}
	return url
}

// goArch is the GOARCH of a Lambda architecture.
func goArch(arch string) string {
	if arch == "arm64" {
		return "arm64"
	}
	return "amd64"
}

// prepareCode returns the binary that runs fn and what it is, for people:
// it builds a Go package as `lambdagrpc build` does (once per package and
// platform, kept in builds), unpacks a zip into dir, or takes a bootstrap
// as it is.
func prepareCode(ctx context.Context, fn *samFunction, dir string, builds map[string]string, stderr, buildOutput io.Writer) (bin, what string, err error) {
	fi, err := os.Stat(fn.Code)
	if err != nil {
		return "", "", fmt.Errorf("code: %w", err)
	}
	rel := fn.Code
	if wd, err := os.Getwd(); err == nil {
		if r, err := filepath.Rel(wd, fn.Code); err == nil {
			rel = filepath.ToSlash(r)
			if !strings.HasPrefix(rel, "../") {
				rel = "./" + rel
			}
		}
	}
	switch {
	case fi.IsDir() && hasGoFiles(fn.Code):
		goos, goarch := "linux", goArch(fn.Arch)
		if runtime.GOOS != goos || runtime.GOARCH != goarch {
			fmt.Fprintf(stderr, "lambdagrpc: resource %s is %s (Architectures), which this %s/%s machine cannot run: it is built for %s/%s instead\n", fn.LogicalID, fn.Arch, runtime.GOOS, runtime.GOARCH, runtime.GOOS, runtime.GOARCH)
			goos, goarch = runtime.GOOS, runtime.GOARCH
		}
		what = fmt.Sprintf("%s, built for %s/%s", rel, goos, goarch)
		key := fn.Code + " " + goos + "/" + goarch
		if bin, ok := builds[key]; ok {
			return bin, what, nil
		}
		if err := gotool.CheckMain(ctx, fn.Code); err != nil {
			return "", "", err
		}
		out := filepath.Join(dir, "build"+strconv.Itoa(len(builds)), "bootstrap")
		fmt.Fprintf(stderr, "lambdagrpc: building %s for %s/%s…\n", rel, goos, goarch)
		b := functionBuild(fn.Code, out, goos, goarch)
		b.Progress = buildOutput
		if err := b.Run(ctx); err != nil {
			return "", "", err
		}
		builds[key] = out
		return out, what, nil
	case fi.IsDir():
		bin = filepath.Join(fn.Code, "bootstrap")
		if _, err := os.Stat(bin); err != nil {
			return "", "", fmt.Errorf("%s holds neither a Go package nor a bootstrap", rel)
		}
		what = rel + "/bootstrap"
	case strings.EqualFold(filepath.Ext(fn.Code), ".zip"):
		root, err := os.MkdirTemp(dir, "zip")
		if err != nil {
			return "", "", err
		}
		if err := unzipFunction(fn.Code, root); err != nil {
			return "", "", err
		}
		bin, what = filepath.Join(root, "bootstrap"), "bootstrap from "+rel
	default:
		bin, what = fn.Code, rel
	}
	fi, err = os.Stat(bin)
	switch {
	case err != nil:
		return "", "", err
	case !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0:
		return "", "", fmt.Errorf("%s is not an executable file: Lambda could not run it", what)
	}
	if err := checkArch(bin, fn.Arch); err != nil {
		return "", "", fmt.Errorf("%s: %w", what, err)
	}
	return bin, what, nil
}

// hasGoFiles reports whether dir holds Go source files.
func hasGoFiles(dir string) bool {
	m, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	return len(m) > 0
}

// checkArch reports a Linux binary built for another architecture than
// the template's, which Lambda would fail to run.
func checkArch(bin, arch string) error {
	f, err := elf.Open(bin)
	if err != nil {
		return nil // not ELF (a script, or a binary for this machine's system)
	}
	defer func() { _ = f.Close() }()
	got := map[elf.Machine]string{elf.EM_X86_64: "x86_64", elf.EM_AARCH64: "arm64"}[f.Machine]
	if got != arch {
		return fmt.Errorf("built for %s, but Architectures says %s: Lambda could not run it", cmpOr(got, f.Machine.String()), arch)
	}
	return nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// unzipFunction unpacks a function's zip into dir, as Lambda unpacks it
// into its task root. The zip must hold an executable bootstrap.
func unzipFunction(path, dir string) error {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return err
	}
	defer func() { _ = zr.Close() }()
	found := false
	for _, f := range zr.File {
		name := filepath.FromSlash(f.Name)
		if !filepath.IsLocal(name) {
			return fmt.Errorf("%s: entry %q is outside the zip's folder", path, f.Name)
		}
		target := filepath.Join(dir, name)
		if f.FileInfo().IsDir() {
			if err := os.MkdirAll(target, 0o755); err != nil {
				return err
			}
			continue
		}
		if name == "bootstrap" {
			found = true
			if f.Mode().Perm()&0o111 == 0 {
				return fmt.Errorf("%s: bootstrap has no execute permission in the zip: Lambda could not run it (`lambdagrpc build` sets it)", path)
			}
		}
		if err := extract(f, target); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	if !found {
		return fmt.Errorf("%s has no bootstrap at its root, which provided.al2023 runs", path)
	}
	return nil
}

func extract(f *zip.File, target string) error {
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return err
	}
	src, err := f.Open()
	if err != nil {
		return err
	}
	defer func() { _ = src.Close() }()
	mode := f.Mode().Perm() | 0o400
	dst, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		_ = dst.Close()
		return err
	}
	return dst.Close()
}

// Environ is the function's environment: LAMBDAGRPC_INVOKE_MODE, as emulate
// sets it for --invoke-mode, then the template's variables.
func (f *samFunction) Environ() []string {
	env := []string{"LAMBDAGRPC_INVOKE_MODE=" + string(f.InvokeMode())}
	keys := make([]string, 0, len(f.Env))
	for k := range f.Env {
		if k != "LAMBDAGRPC_INVOKE_MODE" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		env = append(env, k+"="+f.Env[k])
	}
	return env
}
