package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/lambdagrpc/lambdagrpc/emulator"
	"github.com/lambdagrpc/lambdagrpc/internal/wire"
)

type envFlag []string

func (e *envFlag) String() string { return strings.Join(*e, ",") }
func (e *envFlag) Set(v string) error {
	if !strings.Contains(v, "=") {
		return fmt.Errorf("%q is not NAME=VALUE", v)
	}
	*e = append(*e, v)
	return nil
}

// defaultAddr is where the Function URL listens when --addr is not given.
// It is a variable so that a test can point it at a port the test holds,
// rather than at 9000, which `make run` may be using.
var defaultAddr = "127.0.0.1:9000"

func emulate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("emulate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", defaultAddr, "where the Function URL front door listens")
	rtAddr := fs.String("runtime-api-addr", "127.0.0.1:0", "where the Runtime API listens")
	mode := fs.String("invoke-mode", "BUFFERED", "the Function URL's invoke mode: BUFFERED or RESPONSE_STREAM")
	name := fs.String("name", "", "the function's name (default: the package or binary's base name)")
	timeout := fs.Duration("timeout", 3*time.Second, "the function timeout, Lambda's default unless given (a debugger session needs more, e.g. --timeout 15m)")
	concurrency := fs.Int("concurrency", 1, "Managed Instances concurrency: invocations in flight at once")
	memory := fs.Int("memory", 128, "the function's memory size in MB, as reported to it")
	reserved := fs.Int("reserved-concurrency", 0, "throttle (429) beyond this many invocations in flight or queued; 0 means no limit")
	invokeAddr := fs.String("invoke-addr", "127.0.0.1:0", "where the Lambda Invoke API listens")
	authType := fs.String("auth-type", "NONE", "the Function URL's auth type: NONE or AWS_IAM (SigV4 with the AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY pair)")
	watch := fs.Bool("watch", false, "rebuild and restart the function when the package's sources change (packages only)")
	configFile := fs.String("config", "", "run the functions of this JSON file instead (see docs/emulator.md); no PACKAGE_OR_BINARY then")
	probe := fs.Bool("probe", true, "once started, call the function's reflection service to print a ready-made call of its first unary method; this cold-starts the function (false: init stays lazy until the first call)")
	verbose := fs.Bool("v", false, "show the package's build progress even when stdout is not a terminal")
	tmpl := addTemplateFlags(fs)
	var env, doors, origins envFlag
	fs.Var(&env, "env", "NAME=VALUE added to the function's environment (repeatable)")
	fs.Var((*listFlag)(&doors), "front-door", "another front door: http-api, http-api-v1, rest, rest-stream, alb or alb-multi-value, optionally =host:port (repeatable)")
	var sqsQueues sqsFlag
	fs.Var(&sqsQueues, "sqs-queue", sqsQueueHelp)
	fs.Var((*listFlag)(&origins), "cors-origin", "an origin the Function URL's CORS configuration allows, or * (repeatable)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: lambdagrpc emulate [flags] PACKAGE_OR_BINARY\n       lambdagrpc emulate --config FILE\n       lambdagrpc emulate --template template.yaml [--parameter NAME=VALUE] [--addr HOST:FIRSTPORT]")
		fmt.Fprintln(fs.Output(), "\nRuns a function on a local Lambda emulator: a Go package is built first, a binary runs as it is.")
		fmt.Fprintln(fs.Output(), "The function is told the invoke mode through LAMBDAGRPC_INVOKE_MODE.")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args, stdout, stderr); err != nil {
		return err
	}
	if *concurrency < 1 {
		return fmt.Errorf("--concurrency %d: give at least 1", *concurrency)
	}
	if *reserved < 0 {
		return fmt.Errorf("--reserved-concurrency %d: give 0 (no limit) or more", *reserved)
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	var buildOutput io.Writer
	if *verbose || isTerminal(stdout) {
		buildOutput = stderr
	}
	if tmpl.file == "" && tmpl.sqsEndpoint != "" {
		return errors.New("--sqs-endpoint goes with --template; give a queue's endpoint as --sqs-queue URL?endpoint=ENDPOINT")
	}
	if tmpl.file != "" {
		return tmpl.emulate(ctx, fs, stdout, stderr, logger, buildOutput)
	}
	if *configFile != "" {
		if fs.NArg() != 0 {
			return errors.New("give either --config or a package or binary, not both")
		}
		if len(sqsQueues) > 0 {
			return errors.New("--sqs-queue: not with --config, whose functions list their queues (\"sqs\")")
		}
		addr, cfgs, err := loadEmulateFile(*configFile)
		if err != nil {
			return err
		}
		for i := range cfgs {
			cfgs[i].Output, cfgs[i].Logger, cfgs[i].BuildOutput = stderr, logger, buildOutput
			cfgs[i].Env = append([]string{"LAMBDAGRPC_INVOKE_MODE=" + strings.ToUpper(string(cfgs[i].InvokeMode))}, cfgs[i].Env...)
		}
		set, err := emulator.StartSet(ctx, addr, cfgs...)
		if err != nil {
			return portHint(err, "the address in "+*configFile)
		}
		defer func() {
			if cerr := set.Close(); cerr != nil {
				fmt.Fprintln(stderr, "lambdagrpc: stopping the emulator:", cerr)
			}
		}()
		for _, e := range set.Functions() {
			describe(stdout, e, "")
			callHint(ctx, stdout, stderr, e.Config().Name, e.URL(), *probe)
		}
		fmt.Fprintf(stdout, "Invoke API (all functions)  %s\n", set.InvokeEndpoint())
		fmt.Fprintln(stdout, "\nPress Ctrl-C to stop.")
		<-ctx.Done()
		return nil
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errors.New("emulate takes one package or binary")
	}
	target := fs.Arg(0)
	cfg := emulator.Config{
		Name:                *name,
		Addr:                *addr,
		RuntimeAPIAddr:      *rtAddr,
		InvokeAddr:          *invokeAddr,
		InvokeMode:          emulator.InvokeMode(*mode),
		Timeout:             *timeout,
		MaxConcurrency:      *concurrency,
		ReservedConcurrency: *reserved,
		MemoryMB:            *memory,
		AuthType:            *authType,
		Watch:               *watch,
		Env:                 append([]string{"LAMBDAGRPC_INVOKE_MODE=" + strings.ToUpper(*mode)}, env...),
		Output:              stderr,
		Logger:              logger,
		BuildOutput:         buildOutput,
		SQS:                 sqsQueues,
	}
	for _, d := range doors {
		kind, daddr, _ := strings.Cut(d, "=")
		cfg.FrontDoors = append(cfg.FrontDoors, emulator.FrontDoor{Kind: emulator.FrontDoorKind(kind), Addr: daddr})
	}
	if len(origins) > 0 {
		cfg.CORS = &emulator.CORS{AllowOrigins: origins, AllowMethods: []string{"GET", "POST"}, AllowHeaders: []string{"*"},
			ExposeHeaders: []string{"grpc-status", "grpc-message", "grpc-status-details-bin", "grpc-encoding", "connect-content-encoding", "content-encoding"}, MaxAge: 7200}
	}
	if fi, err := os.Stat(target); err == nil && fi.Mode().IsRegular() {
		if fi.Mode().Perm()&0o111 == 0 {
			return fmt.Errorf("%s is a file but not executable: give a built function binary or a Go package", target)
		}
		cfg.Command = []string{target}
		if !strings.Contains(target, "/") {
			cfg.Command[0] = "./" + target
		}
	} else {
		cfg.Package = target
	}
	if cfg.Watch && cfg.Package == "" {
		return errors.New("--watch needs a package to rebuild, not a binary")
	}
	if cfg.Name == "" {
		cfg.Name = baseName(target)
	}
	addrGiven := false
	fs.Visit(func(f *flag.Flag) { addrGiven = addrGiven || f.Name == "addr" })
	if !addrGiven {
		// The default port may be another emulator's: say so before the
		// build, and never start beside it.
		if err := cfg.Check(ctx); err != nil {
			return err
		}
		if err := portFree(ctx, cfg.Addr); err != nil {
			return err
		}
	}
	fmt.Fprintf(stderr, "lambdagrpc: starting %s…\n", target)
	e, err := emulator.Start(ctx, cfg)
	if err != nil {
		return portHint(err, emulateFlag(err))
	}
	defer func() {
		if cerr := e.Close(); cerr != nil {
			fmt.Fprintln(stderr, "lambdagrpc: stopping the emulator:", cerr)
		}
	}()
	describe(stdout, e, target)
	callHint(ctx, stdout, stderr, cfg.Name, e.URL(), *probe)
	fmt.Fprintln(stdout, "\nPress Ctrl-C to stop.")
	<-ctx.Done()
	fmt.Fprintln(stderr, "lambdagrpc: stopping")
	return nil
}

// portHint adds to an "address already in use" error the flag (or file
// field) that chooses another address.
func portHint(err error, flag string) error {
	if errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("%w\nanother program uses that port, so nothing was started: choose another with %s", err, flag)
	}
	return err
}

// portFree checks that no program holds the port of the default address
// addr, on that address or on any other (a server on 0.0.0.0 or [::]
// holds 127.0.0.1's port too, though some systems would let a more
// specific bind succeed beside it and split the callers between the two).
// It binds and releases; it never connects to what holds the port.
func portFree(ctx context.Context, addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--addr %s: %w", addr, err)
	}
	if port == "0" {
		return nil // a free port, whichever it turns out to be
	}
	var lc net.ListenConfig
	for i, a := range []string{addr, net.JoinHostPort("0.0.0.0", port), net.JoinHostPort("::", port)} {
		ln, err := lc.Listen(ctx, "tcp", a)
		if err == nil {
			_ = ln.Close()
			continue
		}
		switch {
		case errors.Is(err, syscall.EADDRINUSE):
			return fmt.Errorf("%w\nthe default address %s is taken (another lambdagrpc emulate, or `make run`?): this emulator did not start; choose another address with --addr (--addr 127.0.0.1:0 picks a free port)", err, addr)
		case i == 0:
			return fmt.Errorf("--addr %s: %w", addr, err)
		}
		// A system without IPv6, say: nothing holds the port there.
	}
	return nil
}

// emulateFlag names the emulate flag that sets the address err failed to
// bind, from the emulator's description of it.
func emulateFlag(err error) string {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "emulator: Runtime API:"):
		return "--runtime-api-addr"
	case strings.Contains(msg, "emulator: Invoke API:"):
		return "--invoke-addr"
	case strings.Contains(msg, "emulator: front door:"):
		return "--addr"
	}
	return "--front-door KIND=HOST:PORT"
}

// describe prints a function's front doors.
func describe(w io.Writer, e *emulator.Emulator, target string) {
	cfg := e.Config()
	if target == "" {
		target = cfg.Package + strings.Join(cfg.Command, " ")
	}
	fmt.Fprintf(w, "\nfunction %q (%s), invoke mode %s, timeout %s\n", cfg.Name, target, cfg.InvokeMode, cfg.Timeout)
	fmt.Fprintf(w, "  Function URL    %s\n", e.URL())
	for _, d := range cfg.FrontDoors {
		fmt.Fprintf(w, "  %-15s %s\n", d.Kind, e.FrontDoorURL(d.Kind))
	}
	fmt.Fprintf(w, "  Invoke API      %s\n", e.InvokeEndpoint())
	for _, m := range cfg.SQS {
		fmt.Fprintf(w, "  SQS queue       %s (batch size %d, window %s, ReportBatchItemFailures %t)\n", m.QueueURL, m.BatchSize, m.BatchingWindow, m.ReportBatchItemFailures)
	}
	fmt.Fprintf(w, "  Runtime API     %s\n\n", e.RuntimeAPIAddr())
}

// listFlag collects a repeatable flag's values.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func baseName(target string) string {
	target = strings.TrimRight(target, "/")
	if i := strings.LastIndexByte(target, '/'); i >= 0 {
		target = target[i+1:]
	}
	if target == "" || target == "." {
		return "function"
	}
	return target
}

// bridgeListen is where the printed bridge command listens (bridge's default).
const bridgeListen = "127.0.0.1:50051"

// callHint writes how to call the function at url: a ready-to-paste
// Connect call of its first unary method and the same call with grpcurl
// through a bridge. Only a probe can find the method: with probe set it
// asks the function's reflection service, which cold-starts the function,
// and says so on stderr around the probe so its log lines are told apart.
func callHint(ctx context.Context, w, stderr io.Writer, name, url string, probe bool) {
	svc, method, body := "<package.Service>", "<Method>", "{}"
	var why string
	if probe {
		fmt.Fprintf(stderr, "lambdagrpc: probing %s through gRPC reflection for a ready-made call; this cold-starts it, and its log lines up to \"probe done\" are the probe's (--probe=false skips this)\n", name)
		s, m, b, err := firstUnary(ctx, url)
		fmt.Fprintf(stderr, "lambdagrpc: probe done\n")
		switch {
		case errors.Is(err, errNoUnary):
			why = "(" + err.Error() + ")"
		case err != nil:
			why = "(register google.golang.org/grpc/reflection in the function to get a ready-made call: " + err.Error() + ")"
		default:
			svc, method, body = s, m, b
		}
	} else {
		why = "(emulate without --probe=false fills in a method of the function)"
	}
	grpcurl, note := grpcurlCommand()
	fmt.Fprintf(w, "Call it with Connect JSON:\n  curl -H 'Content-Type: application/json' -d '%s' %s/%s/%s\n", body, url, svc, method)
	fmt.Fprintf(w, "or with grpcurl, through a bridge:\n  %s bridge --target %s &\n  %s -plaintext -d '%s' %s %s/%s\n", selfCommand(os.Args[0]), url, grpcurl, body, bridgeListen, svc, method)
	if note != "" {
		fmt.Fprintln(w, note)
	}
	if why != "" {
		fmt.Fprintln(w, why)
	}
}

// selfCommand is how to run this lambdagrpc again from the same shell: a
// binary that `go run` built in its temporary directory cannot be run
// again, so the hint says `go run` with the import path, which works in
// this repository and in any module that requires lambdagrpc.
func selfCommand(arg0 string) string {
	if strings.Contains(filepath.ToSlash(arg0), "/go-build") {
		return "go run github.com/lambdagrpc/lambdagrpc/cmd/lambdagrpc"
	}
	return arg0
}

// grpcurlCommand is how to run grpcurl here, and a note on where to get it
// when it is not on PATH.
func grpcurlCommand() (cmd, note string) {
	if _, err := exec.LookPath("grpcurl"); err == nil {
		return "grpcurl", ""
	}
	if fi, err := os.Stat(filepath.Join(".tmp", "bin", "grpcurl")); err == nil && !fi.IsDir() {
		return ".tmp/bin/grpcurl", ""
	}
	return "grpcurl", "  (grpcurl is not on PATH: `make tools` puts the pinned one in .tmp/bin, or go install github.com/fullstorydev/grpcurl/cmd/grpcurl@v1.9.4)"
}

func reflect(ctx context.Context, url string, req *reflectionpb.ServerReflectionRequest) (*reflectionpb.ServerReflectionResponse, error) {
	msg, err := proto.Marshal(req)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, url+"/grpc.reflection.v1.ServerReflection/ServerReflectionInfo", bytes.NewReader(wire.AppendFrame(nil, 0, msg)))
	if err != nil {
		return nil, err
	}
	hreq.Header.Set("Content-Type", "application/grpc-web+proto")
	resp, err := http.DefaultClient.Do(hreq)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("reflection: HTTP %d", resp.StatusCode)
	}
	// The first frame is the answer, or the trailer frame of an error.
	flags, payload, err := wire.NewReader(resp.Body, 64<<20).Next()
	if err != nil {
		return nil, fmt.Errorf("reflection: %w", err)
	}
	if flags&wire.FlagWebTrailer != 0 {
		h, _ := wire.ParseTrailerBlock(payload)
		if st, ok, _ := wire.StatusFromHeader(h); ok {
			return nil, fmt.Errorf("reflection: %w", st.Err())
		}
		return nil, errors.New("reflection: no answer")
	}
	var out reflectionpb.ServerReflectionResponse
	if err := proto.Unmarshal(payload, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

func firstUnary(ctx context.Context, url string) (service, method, body string, err error) {
	list, err := reflect(ctx, url, &reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}})
	if err != nil {
		return "", "", "", err
	}
	for _, s := range list.GetListServicesResponse().GetService() {
		name := s.GetName()
		if infrastructure(name) {
			continue
		}
		files, err := reflect(ctx, url, &reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_FileContainingSymbol{FileContainingSymbol: name}})
		if err != nil {
			return "", "", "", err
		}
		reg, err := registry(files.GetFileDescriptorResponse().GetFileDescriptorProto())
		if err != nil {
			return "", "", "", err
		}
		d, err := reg.FindDescriptorByName(protoreflect.FullName(name))
		if err != nil {
			return "", "", "", err
		}
		sd, ok := d.(protoreflect.ServiceDescriptor)
		if !ok {
			continue
		}
		for i := range sd.Methods().Len() {
			m := sd.Methods().Get(i)
			if m.IsStreamingClient() || m.IsStreamingServer() {
				continue
			}
			return name, string(m.Name()), sampleJSON(m.Input()), nil
		}
	}
	return "", "", "", errNoUnary
}

// errNoUnary: reflection answered, and no application service has a unary
// method to fill in.
var errNoUnary = errors.New("the function's services have no unary method to fill in")

// infrastructurePackages are the proto packages of the services grpc-go
// itself provides (reflection, health, channelz, load reporting, ALTS,
// RLS, the admin package's CSDS): a server that registers them still has
// its application's services to call. Other grpc.* packages, such as
// grpc.testing, are applications'.
var infrastructurePackages = []string{
	"grpc.reflection.v1", "grpc.reflection.v1alpha", "grpc.health.v1", "grpc.channelz.v1",
	"grpc.lb.v1", "grpc.gcp", "grpc.lookup.v1", "envoy.service.status.v3",
}

// infrastructure reports whether the fully qualified service name is one
// of grpc-go's own services rather than the application's.
func infrastructure(service string) bool {
	i := strings.LastIndexByte(service, '.')
	return i > 0 && slices.Contains(infrastructurePackages, service[:i])
}

func registry(raw [][]byte) (*protoregistry.Files, error) {
	set := &descriptorpb.FileDescriptorSet{}
	for _, b := range raw {
		fd := &descriptorpb.FileDescriptorProto{}
		if err := proto.Unmarshal(b, fd); err != nil {
			return nil, err
		}
		set.File = append(set.File, fd)
	}
	return protodesc.NewFiles(set)
}

// sampleJSON fills a message's top-level scalar fields with example values.
func sampleJSON(md protoreflect.MessageDescriptor) string {
	msg := dynamicpb.NewMessage(md)
	fields := md.Fields()
	for i := range fields.Len() {
		f := fields.Get(i)
		if f.IsList() || f.IsMap() || f.ContainingOneof() != nil {
			continue
		}
		switch f.Kind() {
		case protoreflect.StringKind:
			msg.Set(f, protoreflect.ValueOfString("world"))
		case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
			msg.Set(f, protoreflect.ValueOfInt32(3))
		case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
			msg.Set(f, protoreflect.ValueOfInt64(3))
		case protoreflect.BoolKind:
			msg.Set(f, protoreflect.ValueOfBool(true))
		}
	}
	b, err := protojson.Marshal(msg)
	if err != nil {
		return "{}"
	}
	return string(b)
}
