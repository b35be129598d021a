package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"go/format"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestNewRefuses: new writes nothing, and says why, when it is given no
// folder, a folder that is not empty, a bad module path, or no lambdagrpc
// to require (a test binary, like a development build, has no version).
func TestNewRefuses(t *testing.T) {
	t.Parallel()
	full := t.TempDir()
	keep := filepath.Join(full, "keep.txt")
	if err := os.WriteFile(keep, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"new"}, "one folder name"},
		{[]string{"new", "--replace", "../..", full}, "not empty: choose another name, or give --force"},
		{[]string{"new", "--replace", "../..", "--module", "example.com/my service", filepath.Join(t.TempDir(), "x")}, "not allowed in a module path"},
		{[]string{"new", "--replace", "../..", "--module", "/abs", filepath.Join(t.TempDir(), "x")}, "not a module path"},
		{[]string{"new", "--replace", "testdata", filepath.Join(t.TempDir(), "x")}, "not a lambdagrpc checkout"},
		{[]string{"new", filepath.Join(t.TempDir(), "x")}, "give --replace DIR with that checkout"},
	} {
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), tc.args, &stdout, &stderr)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want one containing %q", tc.args, err, tc.want)
		}
	}
	entries, err := os.ReadDir(full)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("new wrote into a folder that was not empty: it holds %d entries", len(entries))
	}
}

// TestNewRequiresTheInstalledVersion: without --replace, the new module
// requires the lambdagrpc the command was downloaded at, and only a
// version the module proxy serves.
func TestNewRequiresTheInstalledVersion(t *testing.T) {
	t.Parallel()
	const sum = "h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
	for _, tc := range []struct {
		name string
		bi   debug.BuildInfo
		want string // "" for none
	}{
		{"go install @latest", debug.BuildInfo{Main: debug.Module{Path: modulePath, Version: "v0.0.0-20261130085134-0a80bdc1a2b3", Sum: sum}}, "v0.0.0-20261130085134-0a80bdc1a2b3"},
		{"go install @v0.2.0", debug.BuildInfo{Main: debug.Module{Path: modulePath, Version: "v0.2.0", Sum: sum}}, "v0.2.0"},
		{"go tool in a module", debug.BuildInfo{Main: debug.Module{Path: "example.com/svc"}, Deps: []*debug.Module{{Path: modulePath, Version: "v0.3.1", Sum: sum}}}, "v0.3.1"},
		{"go build in a checkout", debug.BuildInfo{Main: debug.Module{Path: modulePath, Version: "v0.0.0-20261130085134-0a80bdc1a2b3"}}, ""},
		{"go run in a checkout", debug.BuildInfo{Main: debug.Module{Path: modulePath, Version: "(devel)"}}, ""},
		{"a replaced tool", debug.BuildInfo{Main: debug.Module{Path: "example.com/svc"}, Deps: []*debug.Module{{Path: modulePath, Version: "v0.0.0", Replace: &debug.Module{Path: "../lambdagrpc"}}}}, ""},
	} {
		got, ok := requirableVersion(&tc.bi)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("%s: %q, %v; want %q", tc.name, got, ok, tc.want)
		}
	}
}

// TestNewPinsTheRepositoryTools: the scaffold's generate.sh installs the
// versions of buf and the plugins that scripts/generate.sh does, which
// generated the scaffold's code.
func TestNewPinsTheRepositoryTools(t *testing.T) {
	t.Parallel()
	pins := func(file string) map[string]string {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]string{}
		for _, match := range regexp.MustCompile(`(?m)^([A-Z_]+_VERSION)=(\S+)$`).FindAllStringSubmatch(string(data), -1) {
			m[match[1]] = match[2]
		}
		return m
	}
	repo, scaffold := pins("../../scripts/generate.sh"), pins("scaffold/generate.sh")
	if len(scaffold) != 3 {
		t.Fatalf("scaffold/generate.sh pins %v, want buf and two plugins", scaffold)
	}
	for k, v := range scaffold {
		if repo[k] != v {
			t.Errorf("scaffold/generate.sh: %s=%s, scripts/generate.sh: %s=%s", k, v, k, repo[k])
		}
	}
}

// TestNewService writes a new service into a temporary folder, pointed at
// this checkout, and checks what its README promises: its files are
// gofmt'd, go vet and its tests pass, make run serves it on the emulator
// (called here with Connect JSON through the Function URL and the HTTP
// API), and its generate script reproduces its generated code.
func TestNewService(t *testing.T) {
	t.Parallel()
	for _, tool := range []string{"go", "make", "bash"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("the test runs the new service's commands with %s: %v", tool, err)
		}
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	dir := filepath.Join(t.TempDir(), "svc")
	var stdout, stderr bytes.Buffer
	if err := run(ctx, []string{"new", "--module", "example.com/svc", "--replace", root, dir}, &stdout, &stderr); err != nil {
		t.Fatalf("new: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stdout.String(), "make test") {
		t.Errorf("new's output does not say what to run next:\n%s", stdout.String())
	}
	for _, f := range []string{".gitignore", "Makefile", "README.md", "template.yaml", "generate.sh", "go.mod", "go.sum", "main.go", "main_test.go", "proto/hello/v1/hello.proto", "gen/hello/v1/hello.pb.go", "gen/hello/v1/hello_grpc.pb.go", "cdk/go.mod", "cdk/cdk.json", "cdk/main.go", "cdk/main_test.go"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("the new service has no %s: %v", f, err)
		}
	}
	// Nothing of the scaffold's own path is left.
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if bytes.Contains(data, []byte("cmd/lambdagrpc/scaffold")) || bytes.Contains(data, []byte("Command scaffold")) {
			t.Errorf("%s still names the scaffold", p)
		}
		if strings.HasSuffix(p, ".go") {
			if formatted, err := format.Source(data); err != nil || !bytes.Equal(formatted, data) {
				t.Errorf("%s is not gofmt'd (%v)", p, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	gomod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"module example.com/svc\n", "tool github.com/lambdagrpc/lambdagrpc/cmd/lambdagrpc\n", "replace github.com/lambdagrpc/lambdagrpc => " + root + "\n"} {
		if !bytes.Contains(gomod, []byte(want)) {
			t.Errorf("go.mod lacks %q:\n%s", want, gomod)
		}
	}

	// The CDK app requires the construct of this checkout too; make cdk
	// vets and tests it, as it needs Node.
	cdkmod, err := os.ReadFile(filepath.Join(dir, "cdk", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"module example.com/svc/cdk\n", "github.com/lambdagrpc/lambdagrpc/deploy/cdk v0.0.0\n", "\tgithub.com/lambdagrpc/lambdagrpc/deploy/cdk => " + filepath.Join(root, "deploy", "cdk") + "\n"} {
		if !bytes.Contains(cdkmod, []byte(want)) {
			t.Errorf("cdk/go.mod lacks %q:\n%s", want, cdkmod)
		}
	}

	inDir := func(name string, args ...string) {
		t.Helper()
		cmd := exec.CommandContext(ctx, name, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOWORK=off")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
	}
	inDir("go", "vet", "./...")
	inDir("go", "test", "-count=1", "./...")

	t.Run("run", func(t *testing.T) { makeRun(ctx, t, dir) })

	// The generated code is the pinned tools' output for the new module
	// path too: regenerating it changes nothing. The tools are shared
	// with scripts/generate.sh's.
	before := readTree(t, filepath.Join(dir, "gen"))
	cmd := exec.CommandContext(ctx, "./generate.sh")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off", "TOOLS_BIN="+filepath.Join(root, ".tmp", "bin"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("generate.sh: %v\n%s", err, out)
	}
	after := readTree(t, filepath.Join(dir, "gen"))
	if len(after) != len(before) {
		t.Errorf("generate.sh wrote %d files, the scaffold has %d", len(after), len(before))
	}
	for name, data := range before {
		if !bytes.Equal(after[name], data) {
			t.Errorf("generate.sh changed %s: regenerate cmd/lambdagrpc/scaffold/gen with its generate.sh", name)
		}
	}

	// --force writes the scaffold's files over the ones there and keeps
	// the others.
	mine := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(mine, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := run(ctx, []string{"new", "--module", "example.com/svc", "--replace", root, dir}, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Errorf("new into the service's folder without --force: %v, want a refusal that names --force", err)
	}
	stderr.Reset()
	if err := run(ctx, []string{"new", "--force", "--module", "example.com/svc", "--replace", root, dir}, io.Discard, &stderr); err != nil {
		t.Fatalf("new --force: %v\n%s", err, stderr.String())
	}
	if data, err := os.ReadFile(filepath.Join(dir, "main.go")); err != nil || !bytes.Contains(data, []byte("lambdagrpc.Serve")) {
		t.Errorf("new --force did not write main.go again (%v)", err)
	}
	if _, err := os.Stat(mine); err != nil {
		t.Errorf("new --force removed a file of its own: %v", err)
	}
}

// makeRun starts `make run` in dir on free ports, calls SayHello through
// the Function URL and the HTTP API it prints, and stops it.
func makeRun(ctx context.Context, t *testing.T, dir string) {
	cmd := exec.CommandContext(ctx, "make", "run", "ADDR=127.0.0.1:0")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off")
	// Its own process group, to stop make, go tool and the emulator at once.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	urls := make(chan map[string]string, 1)
	go func() {
		found, sent := map[string]string{}, false
		doorRE := regexp.MustCompile(`^\s*(Function URL|http-api)\s+(http://\S+)`)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := doorRE.FindStringSubmatch(sc.Text()); m != nil {
				found[m[1]] = m[2]
				if len(found) == 2 && !sent {
					urls <- found
					sent = true
				}
			}
		}
		_, _ = io.Copy(io.Discard, out)
		exited <- cmd.Wait()
	}()
	defer func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
	}()
	var doors map[string]string
	select {
	case doors = <-urls:
	case err := <-exited:
		exited <- err
		t.Fatalf("make run exited (%v) before it printed its Function URL and HTTP API:\n%s", err, logs.String())
	case <-ctx.Done():
		t.Fatalf("make run printed no Function URL and HTTP API in time:\n%s", logs.String())
	}
	for door, url := range doors {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(url, "/")+"/hello.v1.HelloService/SayHello", strings.NewReader(`{"name":"Ada"}`))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", door, err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatalf("%s: %v", door, err)
		}
		var reply struct{ Message string }
		if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &reply) != nil || reply.Message != "Hello, Ada!" {
			t.Errorf("SayHello through the %s %s: %s %s, want 200 with the message Hello, Ada!\n%s", door, url, resp.Status, body, logs.String())
		}
	}
}

// readTree reads every file under dir, by path relative to it.
func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		files[rel] = data
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}
