package cdk_test

import (
	"archive/zip"
	"bytes"
	"debug/elf"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"

	"github.com/lambdagrpc/lambdagrpc/deploy/cdk"
)

func TestMain(m *testing.M) {
	code := m.Run()
	// Stop the jsii runtime's Node process.
	jsii.Close()
	os.Exit(code)
}

// prebuiltZip writes a zip holding an executable named bootstrap, as
// `lambdagrpc build` does, and returns its path.
func prebuiltZip(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "function.zip")
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	hdr := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate}
	hdr.SetMode(0o755)
	w, err := zw.CreateHeader(hdr)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(w, "#!/bin/sh\n"); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// synth defines a stack, lets define add to it, and returns its template.
func synth(t *testing.T, define func(stack awscdk.Stack)) assertions.Template {
	t.Helper()
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir())})
	stack := awscdk.NewStack(app, jsii.String("Service"), nil)
	define(stack)
	return assertions.Template_FromStack(stack, nil)
}

// only returns the properties of the one resource of type typ.
func only(t *testing.T, tpl assertions.Template, typ string) map[string]any {
	t.Helper()
	res := *tpl.FindResources(jsii.String(typ), nil)
	if len(res) != 1 {
		t.Fatalf("%d resources of type %s, want 1", len(res), typ)
	}
	for _, r := range res {
		props, _ := (*r)["Properties"].(map[string]any)
		return props
	}
	return nil
}

func TestInvokeMode(t *testing.T) {
	zipPath := prebuiltZip(t)
	for _, tc := range []struct {
		name string
		mode awslambda.InvokeMode
		want string
	}{
		{"default", "", "RESPONSE_STREAM"},
		{"stream", awslambda.InvokeMode_RESPONSE_STREAM, "RESPONSE_STREAM"},
		{"buffered", awslambda.InvokeMode_BUFFERED, "BUFFERED"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tpl := synth(t, func(stack awscdk.Stack) {
				cdk.NewFunction(stack, jsii.String("Greeter"), &cdk.FunctionProps{
					Zip:        jsii.String(zipPath),
					InvokeMode: tc.mode,
					AuthType:   awslambda.FunctionUrlAuthType_NONE,
				})
			})
			tpl.HasResourceProperties(jsii.String("AWS::Lambda::Url"), map[string]any{
				"InvokeMode": tc.want,
				"AuthType":   "NONE",
			})
			tpl.HasResourceProperties(jsii.String("AWS::Lambda::Function"), map[string]any{
				"Environment": map[string]any{"Variables": map[string]any{cdk.EnvInvokeMode: tc.want}},
			})
			// The two are equal, read from the template side by side.
			url := only(t, tpl, "AWS::Lambda::Url")["InvokeMode"]
			fn := only(t, tpl, "AWS::Lambda::Function")
			env := fn["Environment"].(map[string]any)["Variables"].(map[string]any)[cdk.EnvInvokeMode]
			if url != env {
				t.Errorf("URL InvokeMode %v, %s %v", url, cdk.EnvInvokeMode, env)
			}
		})
	}
}

func TestFunction(t *testing.T) {
	zipPath := prebuiltZip(t)
	var f cdk.Function
	tpl := synth(t, func(stack awscdk.Stack) {
		f = cdk.NewFunction(stack, jsii.String("Greeter"), &cdk.FunctionProps{
			Zip:         jsii.String(zipPath),
			AuthType:    awslambda.FunctionUrlAuthType_AWS_IAM,
			MemorySize:  jsii.Number(512),
			Timeout:     awscdk.Duration_Seconds(jsii.Number(30)),
			Environment: &map[string]*string{"GREETING": jsii.String("hello")},
			Cors: &awslambda.FunctionUrlCorsOptions{
				AllowedOrigins: jsii.Strings("https://app.example.com"),
			},
		})
	})
	tpl.ResourceCountIs(jsii.String("AWS::Lambda::Function"), jsii.Number(1))
	tpl.HasResourceProperties(jsii.String("AWS::Lambda::Function"), map[string]any{
		"Runtime":       "provided.al2023",
		"Handler":       "bootstrap",
		"Architectures": []any{"arm64"},
		"MemorySize":    512,
		"Timeout":       30,
		"Environment": map[string]any{"Variables": map[string]any{
			"GREETING":        "hello",
			cdk.EnvInvokeMode: "RESPONSE_STREAM",
		}},
	})
	tpl.HasResourceProperties(jsii.String("AWS::Lambda::Url"), map[string]any{
		"AuthType":   "AWS_IAM",
		"InvokeMode": "RESPONSE_STREAM",
		"Cors": map[string]any{
			"AllowOrigins":  []any{"https://app.example.com"},
			"AllowMethods":  []any{"POST", "GET"},
			"AllowHeaders":  []any{"*"},
			"ExposeHeaders": assertions.Match_ArrayWith(&[]any{"Grpc-Status", "Grpc-Message", "Grpc-Status-Details-Bin"}),
			"MaxAge":        7200,
		},
	})
	tpl.HasOutput(jsii.String("*"), map[string]any{
		"Value": map[string]any{"Fn::GetAtt": assertions.Match_ArrayWith(&[]any{"FunctionUrl"})},
	})
	tpl.ResourceCountIs(jsii.String("AWS::ApiGatewayV2::Api"), jsii.Number(0))
	if f.HttpApi() != nil || f.TargetGroup() != nil {
		t.Error("an HTTP API or a target group that the props did not ask for")
	}
	if f.InvokeMode() != awslambda.InvokeMode_RESPONSE_STREAM {
		t.Errorf("InvokeMode() = %s", f.InvokeMode())
	}
}

func TestDefaults(t *testing.T) {
	zipPath := prebuiltZip(t)
	tpl := synth(t, func(stack awscdk.Stack) {
		cdk.NewFunction(stack, jsii.String("Greeter"), &cdk.FunctionProps{
			Zip:      jsii.String(zipPath),
			AuthType: awslambda.FunctionUrlAuthType_NONE,
		})
	})
	tpl.HasResourceProperties(jsii.String("AWS::Lambda::Function"), map[string]any{
		"Architectures": []any{"arm64"},
		"MemorySize":    256,
		"Timeout":       10,
	})
	tpl.HasResourceProperties(jsii.String("AWS::Lambda::Url"), map[string]any{
		"Cors": assertions.Match_Absent(),
	})
}

func TestHttpApi(t *testing.T) {
	zipPath := prebuiltZip(t)
	var f cdk.Function
	tpl := synth(t, func(stack awscdk.Stack) {
		f = cdk.NewFunction(stack, jsii.String("Greeter"), &cdk.FunctionProps{
			Zip:        jsii.String(zipPath),
			AuthType:   awslambda.FunctionUrlAuthType_NONE,
			InvokeMode: awslambda.InvokeMode_BUFFERED,
			HttpApi:    jsii.Bool(true),
			Cors:       &awslambda.FunctionUrlCorsOptions{AllowedOrigins: jsii.Strings("*")},
		})
	})
	if f.HttpApi() == nil {
		t.Fatal("HttpApi() is nil")
	}
	tpl.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Api"), map[string]any{
		"ProtocolType": "HTTP",
		"CorsConfiguration": map[string]any{
			"AllowOrigins":  []any{"*"},
			"AllowMethods":  []any{"POST", "GET"},
			"ExposeHeaders": assertions.Match_ArrayWith(&[]any{"Grpc-Status"}),
		},
	})
	tpl.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Route"), map[string]any{
		"RouteKey": "ANY /{proxy+}",
	})
	tpl.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Integration"), map[string]any{
		"IntegrationType":      "AWS_PROXY",
		"PayloadFormatVersion": "2.0",
	})
	tpl.HasResourceProperties(jsii.String("AWS::Lambda::Permission"), map[string]any{
		"Principal": "apigateway.amazonaws.com",
	})
	tpl.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Stage"), map[string]any{
		"StageName":  "$default",
		"AutoDeploy": true,
	})
}

func TestAlb(t *testing.T) {
	zipPath := prebuiltZip(t)
	var f cdk.Function
	tpl := synth(t, func(stack awscdk.Stack) {
		vpc := awsec2.NewVpc(stack, jsii.String("Vpc"), &awsec2.VpcProps{MaxAzs: jsii.Number(2), NatGateways: jsii.Number(0)})
		lb := awselasticloadbalancingv2.NewApplicationLoadBalancer(stack, jsii.String("Lb"), &awselasticloadbalancingv2.ApplicationLoadBalancerProps{Vpc: vpc})
		listener := lb.AddListener(jsii.String("Http"), &awselasticloadbalancingv2.BaseApplicationListenerProps{Port: jsii.Number(80)})
		f = cdk.NewFunction(stack, jsii.String("Greeter"), &cdk.FunctionProps{
			Zip:        jsii.String(zipPath),
			AuthType:   awslambda.FunctionUrlAuthType_AWS_IAM,
			InvokeMode: awslambda.InvokeMode_BUFFERED,
			Alb: &cdk.AlbTarget{
				Listener:          listener,
				Priority:          jsii.Number(10),
				Conditions:        &[]awselasticloadbalancingv2.ListenerCondition{awselasticloadbalancingv2.ListenerCondition_PathPatterns(jsii.Strings("/lambdagrpc.examples.greeter.v1.Greeter/*"))},
				MultiValueHeaders: jsii.Bool(true),
			},
		})
		// A listener needs a default action when the target has a rule.
		listener.AddAction(jsii.String("Default"), &awselasticloadbalancingv2.AddApplicationActionProps{
			Action: awselasticloadbalancingv2.ListenerAction_FixedResponse(jsii.Number(404), nil),
		})
	})
	if f.TargetGroup() == nil {
		t.Fatal("TargetGroup() is nil")
	}
	tpl.HasResourceProperties(jsii.String("AWS::ElasticLoadBalancingV2::TargetGroup"), map[string]any{
		"TargetType": "lambda",
		"Targets":    assertions.Match_ArrayWith(&[]any{map[string]any{"Id": map[string]any{"Fn::GetAtt": assertions.Match_ArrayWith(&[]any{"Arn"})}}}),
		"TargetGroupAttributes": assertions.Match_ArrayWith(&[]any{
			map[string]any{"Key": "lambda.multi_value_headers.enabled", "Value": "true"},
		}),
	})
	tpl.HasResourceProperties(jsii.String("AWS::ElasticLoadBalancingV2::ListenerRule"), map[string]any{
		"Priority": 10,
		"Conditions": []any{map[string]any{
			"Field":             "path-pattern",
			"PathPatternConfig": map[string]any{"Values": []any{"/lambdagrpc.examples.greeter.v1.Greeter/*"}},
		}},
	})
	tpl.HasResourceProperties(jsii.String("AWS::Lambda::Permission"), map[string]any{
		"Principal": "elasticloadbalancing.amazonaws.com",
	})
}

// TestBuild builds examples/greeter with `lambdagrpc build` from this
// checkout as the app synthesizes, and reads the asset it wrote.
func TestBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the greeter example")
	}
	outdir := t.TempDir()
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(outdir)})
	stack := awscdk.NewStack(app, jsii.String("Service"), nil)
	cdk.NewFunction(stack, jsii.String("Greeter"), &cdk.FunctionProps{
		Package:  jsii.String("./examples/greeter"),
		Dir:      jsii.String("../.."),
		AuthType: awslambda.FunctionUrlAuthType_NONE,
	})
	app.Synth(nil)
	tpl := assertions.Template_FromStack(stack, nil)
	code := only(t, tpl, "AWS::Lambda::Function")["Code"].(map[string]any)
	key, _ := code["S3Key"].(string)
	if !strings.HasSuffix(key, ".zip") {
		t.Fatalf("Code.S3Key = %q, want the zip's hash with .zip", key)
	}
	zr, err := zip.OpenReader(filepath.Join(outdir, "asset."+key))
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	if len(zr.File) != 1 || zr.File[0].Name != "bootstrap" {
		t.Fatalf("the asset holds %d files, want bootstrap alone", len(zr.File))
	}
	if mode := zr.File[0].Mode(); mode&0o111 == 0 {
		t.Errorf("bootstrap has mode %v, want it executable", mode)
	}
	rc, err := zr.File[0].Open()
	if err != nil {
		t.Fatal(err)
	}
	bin, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		t.Fatal(err)
	}
	ef, err := elf.NewFile(bytes.NewReader(bin))
	if err != nil {
		t.Fatalf("bootstrap is not an ELF binary: %v", err)
	}
	if ef.Machine != elf.EM_AARCH64 {
		t.Errorf("bootstrap is built for %v, want arm64 (EM_AARCH64)", ef.Machine)
	}
}

func TestBadProps(t *testing.T) {
	zipPath := prebuiltZip(t)
	for _, tc := range []struct {
		name  string
		props cdk.FunctionProps
		want  string
	}{
		{"no auth type", cdk.FunctionProps{Zip: jsii.String(zipPath)}, "AuthType is required"},
		{"no code", cdk.FunctionProps{AuthType: awslambda.FunctionUrlAuthType_NONE}, "Package"},
		{"both", cdk.FunctionProps{Zip: jsii.String(zipPath), Package: jsii.String("."), AuthType: awslambda.FunctionUrlAuthType_NONE}, "not both"},
		{"mode in environment", cdk.FunctionProps{
			Zip: jsii.String(zipPath), AuthType: awslambda.FunctionUrlAuthType_NONE,
			Environment: &map[string]*string{cdk.EnvInvokeMode: jsii.String("BUFFERED")},
		}, "may not set LAMBDAGRPC_INVOKE_MODE"},
		{"unknown mode", cdk.FunctionProps{Zip: jsii.String(zipPath), AuthType: awslambda.FunctionUrlAuthType_NONE, InvokeMode: "STREAM"}, "InvokeMode"},
		{"cors without origins", cdk.FunctionProps{
			Zip: jsii.String(zipPath), AuthType: awslambda.FunctionUrlAuthType_NONE,
			Cors: &awslambda.FunctionUrlCorsOptions{},
		}, "AllowedOrigins is required"},
		{"alb without listener", cdk.FunctionProps{
			Zip: jsii.String(zipPath), AuthType: awslambda.FunctionUrlAuthType_NONE,
			Alb: &cdk.AlbTarget{},
		}, "Alb.Listener is required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if r == nil {
					t.Fatal("NewFunction accepted the props")
				}
				if msg := fmt.Sprint(r); !strings.Contains(msg, tc.want) {
					t.Errorf("panic %v, want it to say %q", r, tc.want)
				}
			}()
			app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir())})
			stack := awscdk.NewStack(app, jsii.String("Service"), nil)
			cdk.NewFunction(stack, jsii.String("Greeter"), &tc.props)
		})
	}
}

// TestBuildFails: a failed build fails the synthesis with the build's
// error, and Docker is not tried. It runs in a child process, since the
// panic leaves the jsii runtime to be torn down with the process.
func TestBuildFails(t *testing.T) {
	if os.Getenv("LAMBDAGRPC_CDK_TEST_CHILD") == "1" {
		app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir())})
		stack := awscdk.NewStack(app, jsii.String("Service"), nil)
		cdk.NewFunction(stack, jsii.String("Greeter"), &cdk.FunctionProps{
			Package:  jsii.String("./examples/nosuchpackage"),
			Dir:      jsii.String("../.."),
			AuthType: awslambda.FunctionUrlAuthType_NONE,
		})
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run", "^TestBuildFails$")
	cmd.Env = append(os.Environ(), "LAMBDAGRPC_CDK_TEST_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("the synthesis succeeded:\n%s", out)
	}
	for _, want := range []string{
		"lambdagrpc: building ./examples/nosuchpackage",
		"is not a Go package",
	} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("the output does not say %q:\n%s", want, out)
		}
	}
	if bytes.Contains(out, []byte("docker")) {
		t.Errorf("the synthesis tried Docker:\n%s", out)
	}
}

// TestModeChanged: changing LAMBDAGRPC_INVOKE_MODE after NewFunction fails
// the synthesis.
func TestModeChanged(t *testing.T) {
	defer func() {
		r := recover()
		if r == nil {
			t.Fatal("the synthesis accepted a LAMBDAGRPC_INVOKE_MODE that differs from the URL's")
		}
		if msg := fmt.Sprint(r); !strings.Contains(msg, "LAMBDAGRPC_INVOKE_MODE is BUFFERED, but its Function URL's invoke mode is RESPONSE_STREAM") {
			t.Errorf("panic %v", r)
		}
	}()
	synth(t, func(stack awscdk.Stack) {
		f := cdk.NewFunction(stack, jsii.String("Greeter"), &cdk.FunctionProps{
			Zip:      jsii.String(prebuiltZip(t)),
			AuthType: awslambda.FunctionUrlAuthType_NONE,
		})
		f.Function().AddEnvironment(jsii.String(cdk.EnvInvokeMode), jsii.String("BUFFERED"), nil)
	})
}
