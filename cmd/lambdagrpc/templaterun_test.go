package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

// templateDoors reads the front doors emulate --template printed: the base
// URL of each, by function name and door ("Function URL" or a kind).
func templateDoors(t *testing.T, out string) map[string]string {
	t.Helper()
	header := regexp.MustCompile(`^function "([^"]+)"`)
	door := regexp.MustCompile(`^  (Function URL|http-api-v1|http-api|rest-stream|rest|alb-multi-value|alb)\s+(http://\S+)`)
	doors := map[string]string{}
	fn := ""
	for line := range strings.Lines(out) {
		if m := header.FindStringSubmatch(line); m != nil {
			fn = m[1]
		} else if m := door.FindStringSubmatch(line); m != nil && fn != "" {
			doors[fn+" "+m[1]] = m[2]
		}
	}
	return doors
}

// sayHello calls the greeter at base with Connect JSON and checks its
// answer.
func sayHello(t *testing.T, ctx context.Context, base, name string) {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/lambdagrpc.examples.greeter.v1.Greeter/SayHello", strings.NewReader(fmt.Sprintf(`{"name":%q}`, name)))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Errorf("%s: %v", name, err)
		return
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if want := fmt.Sprintf(`{"message":"Hello, %s!"}`, name); resp.StatusCode != http.StatusOK || string(body) != want {
		t.Errorf("%s (%s): HTTP %d %s, want 200 %s", name, base, resp.StatusCode, body, want)
	}
}

// TestEmulateTemplate runs the test template of the greeter example
// through emulate --template and calls every front door it declares: the
// Function URLs (buffered, with CORS, and streamed), an HttpApi event with
// payload 2.0, an Api event, and an HttpApi event with payload 1.0 on an
// API whose stage is a parameter.
func TestEmulateTemplate(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	out, stderr, stop := startEmulate(t, ctx, "--template", "testdata/template.yaml", "--addr", "127.0.0.1:0", "--probe=false")
	doors := templateDoors(t, out)
	want := []string{
		"lambdagrpc-local-greeter Function URL", "lambdagrpc-local-greeter http-api", "lambdagrpc-local-greeter rest",
		"Streamer Function URL", "V1 http-api-v1",
	}
	for _, d := range want {
		if doors[d] == "" {
			t.Fatalf("no %s printed:\n%s", d, out)
		}
		sayHello(t, ctx, doors[d], strings.ReplaceAll(d, " ", "-"))
	}
	if rest, v1 := doors["lambdagrpc-local-greeter rest"], doors["V1 http-api-v1"]; !strings.HasSuffix(rest, "/Prod") || !strings.HasSuffix(v1, "/v1") {
		t.Errorf("the stages are not in the doors' URLs: %s, %s", rest, v1)
	}
	if !strings.Contains(out, "timeout 10s") || !strings.Contains(out, "event Http: ANY /{proxy+}, stage $default, payload 2.0") ||
		!regexp.MustCompile(`Function URL\s+http://\S+\s+not in the template`).MatchString(out) {
		t.Errorf("emulate printed:\n%s", out)
	}

	// The Api event's door is on its stage only, as API Gateway's.
	rest := strings.TrimSuffix(doors["lambdagrpc-local-greeter rest"], "/Prod")
	resp, err := http.Post(rest+"/Beta/lambdagrpc.examples.greeter.v1.Greeter/SayHello", "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("a call outside the REST API's stage: HTTP %d, want 403", resp.StatusCode)
	}
	// The Function URL answers preflights with the template's CORS.
	req, _ := http.NewRequestWithContext(ctx, http.MethodOptions, doors["lambdagrpc-local-greeter Function URL"]+"/x", nil)
	req.Header.Set("Origin", "http://localhost:5173")
	req.Header.Set("Access-Control-Request-Method", "POST")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("Access-Control-Allow-Origin") != "http://localhost:5173" || resp.Header.Get("Access-Control-Max-Age") != "600" {
		t.Errorf("preflight: %v", resp.Header)
	}
	// The shared Invoke API finds a function by the name the template gives it.
	invoke := regexp.MustCompile(`Invoke API \(all functions\)\s+(http://\S+)`).FindStringSubmatch(out)
	if invoke == nil {
		t.Fatalf("no shared Invoke API printed:\n%s", out)
	}
	event := `{"version":"2.0","rawPath":"/lambdagrpc.examples.greeter.v1.Greeter/SayHello","rawQueryString":"",` +
		`"headers":{"content-type":"application/json"},"requestContext":{"http":{"method":"POST","path":"/lambdagrpc.examples.greeter.v1.Greeter/SayHello"}},` +
		`"body":"{\"name\":\"invoke\"}","isBase64Encoded":false}`
	resp, err = http.Post(invoke[1]+"/2015-03-31/functions/lambdagrpc-local-greeter/invocations", "application/json", strings.NewReader(event))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `Hello, invoke!`) {
		t.Errorf("Invoke API: HTTP %d %s", resp.StatusCode, body)
	}
	if err := stop(); err != nil {
		t.Fatalf("emulate: %v", err)
	}
	log := stderr.String()
	for _, want := range []string{
		"lambdagrpc: building ../../examples/greeter for linux/",
		"Memory Size: 256 MB",
		`invokeMode=RESPONSE_STREAM`,
	} {
		if runtime.GOOS == "linux" && !strings.Contains(log, want) {
			t.Errorf("the log has no %q:\n%s", want, log)
		}
	}
	if n := strings.Count(log, "lambdagrpc: building "); n != 1 {
		t.Errorf("the package was built %d times for three functions:\n%s", n, log)
	}
}

// TestEmulateTemplatePrebuilt runs an AWS::Lambda::Function whose Code is
// the zip `lambdagrpc build` wrote, behind an AWS::Lambda::Url.
func TestEmulateTemplatePrebuilt(t *testing.T) {
	t.Parallel()
	if runtime.GOOS != "linux" {
		t.Log("the zip holds a Linux binary, which runs on Linux only")
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	dir := t.TempDir()
	zip := filepath.Join(dir, "greeter.zip")
	if err := run(ctx, []string{"build", "-o", zip, "-arch", runtime.GOARCH, "../../examples/greeter"}, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	arch := map[string]string{"amd64": "x86_64", "arm64": "arm64"}[runtime.GOARCH]
	template := filepath.Join(dir, "template.yaml")
	text := `Resources:
  Greeter:
    Type: AWS::Lambda::Function
    Properties:
      Code: greeter.zip
      Runtime: provided.al2023
      Architectures: [` + arch + `]
      Role: arn:aws:iam::123456789012:role/greeter
  GreeterUrl:
    Type: AWS::Lambda::Url
    Properties:
      TargetFunctionArn: !GetAtt Greeter.Arn
      AuthType: NONE
`
	if err := os.WriteFile(template, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	out, stderr, stop := startEmulate(t, ctx, "--template", template, "--addr", "127.0.0.1:0", "--probe=false")
	url := templateDoors(t, out)["Greeter Function URL"]
	if url == "" || !strings.Contains(out, "bootstrap from ") || !strings.Contains(out, "AWS::Lambda::Url GreeterUrl, AuthType NONE") {
		t.Fatalf("emulate printed:\n%s", out)
	}
	sayHello(t, ctx, url, "zip")
	if err := stop(); err != nil {
		t.Fatalf("emulate: %v", err)
	}
	if log := stderr.String(); !strings.Contains(log, "resource Greeter: not emulated: Role") || strings.Contains(log, "building") {
		t.Errorf("log:\n%s", log)
	}
}
