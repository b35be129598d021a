package main

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
)

// scaffold is the service `lambdagrpc new` writes. It is a package of this
// module, so that its code is compiled, vetted and tested with the rest;
// new writes it with its module path replaced by the new module's. Its
// generated code does not name the module path (buf.gen.yaml gives the Go
// package with M options, not go_package), so it is written as it is.
// scaffold/generate.sh regenerates it (TOOLS_BIN=.tmp/bin shares the
// repository's pinned tools); TestNewService fails when it is stale.
//
// scaffold/_cdk is the service's CDK app, written as cdk: a module of its
// own, so that the service does not depend on the CDK. Its go.mod is
// go.mod.tmpl here, since go:embed takes no file of another module, and
// the leading underscore keeps the go command (and so this module's
// vet, tests and lint, which do not require the CDK) out of it; make cdk
// vets and tests it in a new service.
//
//go:embed scaffold scaffold/_cdk
var scaffold embed.FS

// The paths new rewrites in the scaffold's files.
const (
	modulePath   = "github.com/lambdagrpc/lambdagrpc"
	scaffoldPath = modulePath + "/cmd/lambdagrpc/scaffold"
)

// scaffoldRenames are the files and folders of the scaffold written under
// another name: go:embed leaves out names that start with a dot, and see
// scaffold for the CDK app's.
var scaffoldRenames = map[string]string{"gitignore": ".gitignore", "_cdk": "cdk", "go.mod.tmpl": "go.mod"}

// cdkModule is the require line of scaffold/_cdk/go.mod.tmpl that new
// gives the version of lambdagrpc.
const cdkModule = modulePath + "/deploy/cdk"

func newCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	set := flag.NewFlagSet("new", flag.ContinueOnError)
	set.SetOutput(stderr)
	module := set.String("module", "", "the new service's Go module path (default: NAME's last element)")
	force := set.Bool("force", false, "write into NAME even if it is not empty, overwriting the files new writes")
	replace := set.String("replace", "", "use the lambdagrpc checkout in `DIR` through a replace directive, instead of the version this command was installed at")
	set.Usage = func() {
		fmt.Fprintln(set.Output(), "usage: lambdagrpc new [--module PATH] [--replace DIR] [--force] NAME")
		fmt.Fprintln(set.Output(), "\nWrites a new gRPC service into the folder NAME: a .proto with its generated code, main.go on lambdagrpc.Serve,")
		fmt.Fprintln(set.Output(), "a test on the local Lambda emulator, a Makefile, a SAM template.yaml, a CDK app (cdk/) and a README. Then `cd NAME && make test`.")
		set.PrintDefaults()
	}
	if err := parseFlags(set, args, stdout, stderr); err != nil {
		return err
	}
	if set.NArg() != 1 {
		set.Usage()
		return errors.New("new takes one folder name")
	}
	dir := filepath.Clean(set.Arg(0))
	if *module == "" {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return err
		}
		*module = filepath.Base(abs)
	}
	if err := checkModulePath(*module); err != nil {
		return err
	}
	version := "v0.0.0"
	if *replace != "" {
		abs, err := lambdagrpcCheckout(*replace)
		if err != nil {
			return err
		}
		*replace = abs
	} else {
		v, ok := cliVersion()
		if !ok {
			return errors.New("this lambdagrpc was built from a checkout, so it has no version the new service can require: " +
				"give --replace DIR with that checkout (the new module then builds against it), " +
				"or run a lambdagrpc installed with go install " + modulePath + "/cmd/lambdagrpc@latest, whose version the new module requires")
		}
		version = v
	}
	if err := checkTarget(dir, *force); err != nil {
		return err
	}
	if err := writeScaffold(dir, *module, version, *replace, *force); err != nil {
		return err
	}
	if err := writeGoMod(ctx, dir, *module, version, *replace, stderr); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s, module %s", dir, *module)
	if *replace != "" {
		fmt.Fprintf(stdout, ", built against the lambdagrpc in %s", *replace)
	} else {
		fmt.Fprintf(stdout, ", on lambdagrpc %s", version)
	}
	fmt.Fprintf(stdout, ".\nNext:\n  cd %s\n  make test   # run its tests on the local Lambda emulator\n  make run    # serve it on the emulator as template.yaml deploys it\n", dir)
	return nil
}

// checkModulePath rejects a module path go would refuse, with the reason,
// before anything is written. go mod init checks it again.
func checkModulePath(p string) error {
	if p == "" || p == "." || p == ".." {
		return fmt.Errorf("--module %q: give a module path such as example.com/hello", p)
	}
	if strings.HasPrefix(p, "/") || strings.HasPrefix(p, "-") || strings.HasSuffix(p, "/") || strings.Contains(p, "//") {
		return fmt.Errorf("--module %q: not a module path (no leading or trailing slash or dash)", p)
	}
	for _, elem := range strings.Split(p, "/") {
		if elem == "." || elem == ".." {
			return fmt.Errorf("--module %q: a module path has no . or .. elements", p)
		}
	}
	for _, r := range p {
		if !moduleRune(r) {
			return fmt.Errorf("--module %q: %q is not allowed in a module path (letters, digits and -._~/ are)", p, r)
		}
	}
	return nil
}

// moduleRune reports whether r may appear in a module path.
func moduleRune(r rune) bool {
	return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || strings.ContainsRune("-._~/", r)
}

// lambdagrpcCheckout returns the absolute path of dir after checking that
// it holds the lambdagrpc module.
func lambdagrpcCheckout(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	data, err := os.ReadFile(filepath.Join(abs, "go.mod"))
	if err != nil {
		return "", fmt.Errorf("--replace %s: not a lambdagrpc checkout: %w", dir, err)
	}
	first, _, _ := strings.Cut(string(data), "\n")
	if strings.TrimSpace(first) != "module "+modulePath {
		return "", fmt.Errorf("--replace %s: its go.mod is not module %s", dir, modulePath)
	}
	return abs, nil
}

// cliVersion is the version of lambdagrpc this command was built from,
// when it is one the new module can require: the version `go install
// …@latest` (or @VERSION) downloaded, or the one a module that runs the
// command as a tool requires. A build from a checkout has none the module
// proxy is sure to know: its version (if go stamped one) names a commit
// that may exist only there, and its build info has no checksum.
func cliVersion() (string, bool) {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "", false
	}
	return requirableVersion(bi)
}

// requirableVersion is cliVersion for the build info bi.
func requirableVersion(bi *debug.BuildInfo) (string, bool) {
	m := bi.Main
	for _, d := range bi.Deps {
		if d.Path == modulePath {
			m = *d
		}
	}
	if m.Path != modulePath || m.Replace != nil || m.Sum == "" || !strings.HasPrefix(m.Version, "v") {
		return "", false
	}
	return m.Version, true
}

// checkTarget refuses a dir that exists and is not an empty folder, unless
// force is given.
func checkTarget(dir string, force bool) error {
	fi, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s exists and is not a folder", dir)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	if len(entries) > 0 && !force {
		return fmt.Errorf("%s is not empty: choose another name, or give --force to write the new service's files over the ones there", dir)
	}
	return nil
}

// writeScaffold writes the scaffold's files into dir with module as their
// module path.
func writeScaffold(dir, module, version, replace string, force bool) error {
	name := path.Base(module)
	return fs.WalkDir(scaffold, "scaffold", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel := strings.TrimPrefix(strings.TrimPrefix(p, "scaffold"), "/")
		elems := strings.Split(rel, "/")
		for i, e := range elems {
			if to, ok := scaffoldRenames[e]; ok {
				elems[i] = to
			}
		}
		rel = path.Join(elems...)
		out := filepath.Join(dir, filepath.FromSlash(rel))
		if d.IsDir() {
			return os.MkdirAll(out, 0o755)
		}
		data, err := scaffold.ReadFile(p)
		if err != nil {
			return err
		}
		data = bytes.ReplaceAll(data, []byte(scaffoldPath), []byte(module))
		if rel == "main.go" {
			data = bytes.Replace(data, []byte("// Command scaffold "), []byte("// Command "+name+" "), 1)
		}
		if rel == "cdk/go.mod" {
			data = cdkGoMod(data, version, replace)
		}
		mode := os.FileMode(0o644)
		if strings.HasSuffix(rel, ".sh") {
			mode = 0o755
		}
		flags := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
		if !force {
			flags |= os.O_EXCL
		}
		f, err := os.OpenFile(out, flags, mode)
		if err != nil {
			return err
		}
		if _, err := f.Write(data); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		return os.Chmod(out, mode)
	})
}

// cdkGoMod completes the CDK app's go.mod: it requires the construct at
// lambdagrpc's version, or, with replace, the construct in that checkout.
// Its go.sum is left to go mod tidy, which downloads the CDK's modules:
// the service's README says to run it before cdk deploy.
func cdkGoMod(data []byte, version, replace string) []byte {
	data = bytes.Replace(data, []byte(cdkModule+" v0.0.0\n"), []byte(cdkModule+" "+version+"\n"), 1)
	if replace != "" {
		data = fmt.Appendf(data, "\nreplace (\n\t%s => %s\n\t%s => %s\n)\n",
			modulePath, goModPath(replace), cdkModule, goModPath(filepath.Join(replace, "deploy", "cdk")))
	}
	return data
}

// goModPath is the folder p as go.mod spells it: quoted when it holds a
// space or a quote.
func goModPath(p string) string {
	if strings.ContainsAny(p, " \t\"'`\\") {
		return strconv.Quote(p)
	}
	return p
}

// writeGoMod writes dir's go.mod with go mod init, so that the go command
// gives the go line and checks the module path, then requires lambdagrpc
// (through a replace when replace is a folder), adds its command as a tool
// (make run calls go tool lambdagrpc, at the library's version), and
// completes go.mod and go.sum with go mod tidy.
func writeGoMod(ctx context.Context, dir, module, version, replace string, stderr io.Writer) error {
	if err := os.Remove(filepath.Join(dir, "go.mod")); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := os.Remove(filepath.Join(dir, "go.sum")); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	edit := []string{"mod", "edit", "-require=" + modulePath + "@" + version, "-tool=" + modulePath + "/cmd/lambdagrpc"}
	if replace != "" {
		edit = append(edit, "-replace="+modulePath+"="+replace)
	}
	for _, args := range [][]string{{"mod", "init", module}, edit, {"mod", "tidy"}} {
		var out bytes.Buffer
		cmd := exec.CommandContext(ctx, "go", args...)
		cmd.Dir = dir
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			stderr.Write(out.Bytes())
			return fmt.Errorf("wrote the service's files into %s, but go %s failed there: %w (fix the cause and run it there, or run new again with --force)", dir, strings.Join(args, " "), err)
		}
	}
	return nil
}
