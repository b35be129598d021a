package cdk_test

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"

	"github.com/lambdagrpc/lambdagrpc/deploy/cdk"
)

// A CDK app in an infra folder, beside the service's module one folder up.
// With {"app": "go run ."} in its cdk.json, `cdk deploy` builds the
// function with lambdagrpc build and deploys it.
func ExampleNewFunction() {
	defer jsii.Close()
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Greeter"), nil)
	greeter := cdk.NewFunction(stack, jsii.String("Greeter"), &cdk.FunctionProps{
		Package:    jsii.String("./cmd/greeter"), // built by lambdagrpc build
		Dir:        jsii.String(".."),            // the service module's root
		InvokeMode: awslambda.InvokeMode_RESPONSE_STREAM,
		AuthType:   awslambda.FunctionUrlAuthType_NONE,
		MemorySize: jsii.Number(256),
		Timeout:    awscdk.Duration_Seconds(jsii.Number(10)),
		Cors: &awslambda.FunctionUrlCorsOptions{
			AllowedOrigins: jsii.Strings("https://app.example.com"),
		},
		HttpApi: jsii.Bool(true),
	})
	_ = greeter.Url() // the awslambda.FunctionUrl, for other constructs
	app.Synth(nil)
}
