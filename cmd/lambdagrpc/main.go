// Command lambdagrpc is the toolset of the lambdagrpc library:
//
//	lambdagrpc emulate [flags] PACKAGE_OR_BINARY   run a function on a local Lambda emulator
//	lambdagrpc bridge --target URL|FUNCTION        serve native gRPC in front of a Lambda
//	lambdagrpc build [flags] PACKAGE               build a deployable zip for provided.al2023
//	lambdagrpc new [flags] NAME                    write a new service into the folder NAME
//	lambdagrpc cost --rps N --report-log FILE      Lambda or a container: monthly cost and break-even
//
// Run a subcommand with -h for its flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "lambdagrpc:", err)
		os.Exit(1)
	}
}

const usage = `usage: lambdagrpc <command> [flags] [arguments]

commands:
  emulate   run a function on a local Lambda emulator and print how to call it
  bridge    serve native gRPC (grpcurl, any gRPC client) in front of a Lambda
  build     build a deployable zip (bootstrap) for the provided.al2023 runtime
  new       write a new service (proto, main.go, test, Makefile, SAM template) into a folder
  cost      monthly cost on Lambda, Managed Instances, Fargate and EC2, and the break-even rate

Run "lambdagrpc <command> -h" or "lambdagrpc help <command>" for a command's flags.
`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	switch args[0] {
	case "emulate":
		return emulate(ctx, args[1:], stdout, stderr)
	case "bridge":
		return bridgeCmd(ctx, args[1:], stdout, stderr)
	case "build":
		return build(ctx, args[1:], stdout, stderr)
	case "new":
		return newCmd(ctx, args[1:], stdout, stderr)
	case "cost":
		return costCmd(ctx, args[1:], stdout, stderr)
	case "help":
		if len(args) > 1 {
			switch args[1] {
			case "emulate", "bridge", "build", "new", "cost":
				return run(ctx, []string{args[1], "-h"}, stdout, stderr)
			}
			fmt.Fprint(stderr, usage)
			return fmt.Errorf("unknown command %q", args[1])
		}
		fmt.Fprint(stdout, usage)
		return nil
	case "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}

// parseFlags parses a command's flags. Help asked for (-h, -help) goes to
// stdout, so that it can be paged; a usage error's usage goes to stderr, and
// so does anything fs prints later. A command's Usage writes to
// fs.Output().
func parseFlags(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) error {
	usage := fs.Usage
	fs.Usage = func() {}
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	fs.Usage = usage
	switch {
	case errors.Is(err, flag.ErrHelp):
		fs.SetOutput(stdout)
		fs.Usage()
	case err != nil:
		fs.SetOutput(stderr)
		fs.Usage()
	}
	fs.SetOutput(stderr)
	return err
}
