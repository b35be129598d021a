// Command cdk is the CDK app that deploys the service in the folder
// above: cdk.json runs it, so `cdk deploy` here builds the service with
// lambdagrpc build and deploys it behind a Function URL and an HTTP API.
package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/lambdagrpc/lambdagrpc/deploy/cdk"
)

func main() {
	defer jsii.Close()
	app := awscdk.NewApp(nil)
	NewServiceStack(app, "HelloService", nil)
	app.Synth(nil)
}

// NewServiceStack defines the stack: the service's main package, one
// folder up, built for arm64 and provided.al2023, behind a public
// streaming Function URL and an HTTP API, both with CORS. The stack's
// outputs are the two URLs.
func NewServiceStack(scope constructs.Construct, id string, props *awscdk.StackProps) awscdk.Stack {
	stack := awscdk.NewStack(scope, jsii.String(id), props)
	cdk.NewFunction(stack, jsii.String("Service"), &cdk.FunctionProps{
		Dir:     jsii.String(".."), // the service's module
		Package: jsii.String("."),  // its main package, built by lambdagrpc build
		// The Function URL's invoke mode; the construct sets the
		// function's LAMBDAGRPC_INVOKE_MODE to the same.
		InvokeMode: awslambda.InvokeMode_RESPONSE_STREAM,
		// A public URL: use FunctionUrlAuthType_AWS_IAM for callers that
		// sign their requests.
		AuthType: awslambda.FunctionUrlAuthType_NONE,
		// Browsers on any origin may call it: list your web app's origins
		// instead.
		Cors: &awslambda.FunctionUrlCorsOptions{
			AllowedOrigins: jsii.Strings("*"),
		},
		HttpApi: jsii.Bool(true),
	})
	return stack
}
