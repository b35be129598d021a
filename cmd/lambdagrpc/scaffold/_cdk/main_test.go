package main

import (
	"os"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/lambdagrpc/lambdagrpc/deploy/cdk"
)

func TestMain(m *testing.M) {
	code := m.Run()
	// Stop the jsii runtime's Node process.
	jsii.Close()
	os.Exit(code)
}

// TestServiceStack synthesizes the stack, building the service as cdk
// deploy would, and checks the function's runtime and architecture and
// that its LAMBDAGRPC_INVOKE_MODE is the Function URL's invoke mode.
func TestServiceStack(t *testing.T) {
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir())})
	stack := NewServiceStack(app, "HelloService", nil)
	tpl := assertions.Template_FromStack(stack, nil)

	fn := only(t, tpl, "AWS::Lambda::Function")
	if fn["Runtime"] != "provided.al2023" {
		t.Errorf("Runtime %v, want provided.al2023", fn["Runtime"])
	}
	if archs, _ := fn["Architectures"].([]any); len(archs) != 1 || archs[0] != "arm64" {
		t.Errorf("Architectures %v, want [arm64]", fn["Architectures"])
	}
	env, _ := fn["Environment"].(map[string]any)
	vars, _ := env["Variables"].(map[string]any)

	url := only(t, tpl, "AWS::Lambda::Url")
	if url["InvokeMode"] != "RESPONSE_STREAM" || vars[cdk.EnvInvokeMode] != url["InvokeMode"] {
		t.Errorf("the Function URL's InvokeMode is %v and %s is %v: want RESPONSE_STREAM for both", url["InvokeMode"], cdk.EnvInvokeMode, vars[cdk.EnvInvokeMode])
	}
	if url["AuthType"] != "NONE" {
		t.Errorf("the Function URL's AuthType is %v, want NONE", url["AuthType"])
	}
	tpl.ResourceCountIs(jsii.String("AWS::ApiGatewayV2::Api"), jsii.Number(1))
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
