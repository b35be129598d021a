// Package cdk is an AWS CDK construct that deploys a lambdagrpc service: a
// Go function built with `lambdagrpc build` for arm64 and provided.al2023,
// behind a Function URL whose invoke mode and the function's
// LAMBDAGRPC_INVOKE_MODE come from one prop, and optionally behind an HTTP
// API and an Application Load Balancer.
//
// It is a module of its own, so that lambdagrpc itself does not depend on
// the CDK.
package cdk

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2integrations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2targets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3assets"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// EnvInvokeMode is the environment variable that tells lambdagrpc the
// Function URL's invoke mode (lambdagrpc.EnvInvokeMode).
const EnvInvokeMode = "LAMBDAGRPC_INVOKE_MODE"

// DefaultBuildCommand runs `lambdagrpc build` at the version the Go module
// in FunctionProps.Dir requires.
var DefaultBuildCommand = []string{"go", "run", "github.com/lambdagrpc/lambdagrpc/cmd/lambdagrpc"}

// FunctionProps configures a Function. Give either Package (the construct
// builds it at synth time) or Zip (built beforehand), and AuthType.
type FunctionProps struct {
	// Package is the Go package of the function's main, as `lambdagrpc
	// build` takes it ("./cmd/greeter"), relative to Dir. The construct
	// builds it when the app synthesizes, with the Architecture's -arch.
	Package *string
	// Dir is the directory the build runs in, normally the root of the Go
	// module holding Package. Default: the current directory.
	Dir *string
	// BuildCommand runs lambdagrpc's CLI; the construct appends "build -o
	// ZIP -arch ARCH PACKAGE". Default: DefaultBuildCommand. Set it to
	// {"lambdagrpc"} to use an installed binary, or to {"go", "tool",
	// "lambdagrpc"} with a tool directive in go.mod.
	BuildCommand *[]*string
	// Zip is a zip built beforehand by `lambdagrpc build` for this
	// Architecture, used in place of Package.
	Zip *string

	// InvokeMode is the Function URL's invoke mode, and the value of the
	// function's LAMBDAGRPC_INVOKE_MODE: one prop, so the two cannot
	// disagree. Default: awslambda.InvokeMode_RESPONSE_STREAM.
	InvokeMode awslambda.InvokeMode
	// AuthType is the Function URL's: awslambda.FunctionUrlAuthType_NONE
	// for a public URL, or awslambda.FunctionUrlAuthType_AWS_IAM for
	// callers that sign with SigV4. Required, as in SAM's
	// FunctionUrlConfig, so that a public URL is never an accident.
	AuthType awslambda.FunctionUrlAuthType
	// Cors lets browsers on other origins call the Function URL (and the
	// HTTP API). AllowedOrigins is required; unset fields default to what
	// gRPC-Web and Connect need: methods POST and GET, every request
	// header, the protocols' response headers exposed (see ExposedHeaders),
	// and a preflight cached for 2 hours. Default: no CORS.
	Cors *awslambda.FunctionUrlCorsOptions

	// Architecture is the function's, and the build's -arch. Default:
	// awslambda.Architecture_ARM_64().
	Architecture awslambda.Architecture
	// MemorySize is the function's memory in MB. Default: 256.
	MemorySize *float64
	// Timeout is the function's timeout. Default: 10 seconds.
	Timeout awscdk.Duration
	// Environment holds more environment variables. It may not set
	// LAMBDAGRPC_INVOKE_MODE: InvokeMode does.
	Environment *map[string]*string
	// FunctionName names the function. Default: a name CloudFormation
	// generates.
	FunctionName *string
	// Description describes the function.
	Description *string

	// HttpApi adds an API Gateway HTTP API whose route ANY /{proxy+}
	// invokes the function (payload 2.0), with Cors as its CORS
	// configuration. HTTP APIs buffer: lambdagrpc answers their events
	// buffered whatever the invoke mode.
	HttpApi *bool //nolint:revive // the CDK's spelling, as in awsapigatewayv2.HttpApi
	// Alb makes the function a target of an Application Load Balancer's
	// listener. ALBs buffer, like HTTP APIs.
	Alb *AlbTarget
}

// AlbTarget says where an Application Load Balancer sends calls to the
// function.
type AlbTarget struct {
	// Listener is the listener that gets the target. Required.
	Listener awselasticloadbalancingv2.IApplicationListener
	// Priority is the rule's priority among the listener's rules; give
	// Conditions with it. Default: the target becomes the listener's
	// default action.
	Priority *float64
	// Conditions are the rule's conditions (a path pattern such as
	// "/pkg.Service/*", a host header).
	Conditions *[]awselasticloadbalancingv2.ListenerCondition
	// MultiValueHeaders turns on the target group's multi-value headers.
	// lambdagrpc reads and answers either form. Default: false.
	MultiValueHeaders *bool
}

// Function is a lambdagrpc service on Lambda, with its Function URL and
// the front doors its props asked for.
type Function interface {
	constructs.Construct
	// Function is the Lambda function.
	Function() awslambda.Function
	// Url is the function's URL.
	Url() awslambda.FunctionUrl //nolint:revive // the CDK's spelling, as in awslambda.FunctionUrl
	// InvokeMode is the invoke mode of the URL and of LAMBDAGRPC_INVOKE_MODE.
	InvokeMode() awslambda.InvokeMode
	// HttpApi is the HTTP API, or nil without FunctionProps.HttpApi.
	HttpApi() awsapigatewayv2.HttpApi //nolint:revive // the CDK's spelling
	// TargetGroup is the ALB's target group, or nil without
	// FunctionProps.Alb.
	TargetGroup() awselasticloadbalancingv2.ApplicationTargetGroup
}

type function struct {
	constructs.Construct
	fn          awslambda.Function
	url         awslambda.FunctionUrl
	mode        awslambda.InvokeMode
	api         awsapigatewayv2.HttpApi
	targetGroup awselasticloadbalancingv2.ApplicationTargetGroup
}

func (f *function) Function() awslambda.Function     { return f.fn }
func (f *function) Url() awslambda.FunctionUrl       { return f.url } //nolint:revive // the CDK's spelling
func (f *function) InvokeMode() awslambda.InvokeMode { return f.mode }
func (f *function) HttpApi() awsapigatewayv2.HttpApi { return f.api } //nolint:revive // the CDK's spelling
func (f *function) TargetGroup() awselasticloadbalancingv2.ApplicationTargetGroup {
	return f.targetGroup
}

// ExposedHeaders are the response headers of the gRPC-Web and Connect
// protocols that browser code must be able to read; Cors exposes them
// unless it lists its own.
var ExposedHeaders = []string{
	"Grpc-Status", "Grpc-Message", "Grpc-Status-Details-Bin", "Grpc-Encoding",
	"Connect-Content-Encoding", "Content-Encoding",
}

// NewFunction defines a lambdagrpc function, its Function URL and the front
// doors props ask for. It panics on props that contradict each other, as
// CDK constructs do.
func NewFunction(scope constructs.Construct, id *string, props *FunctionProps) Function {
	if props == nil {
		props = &FunctionProps{}
	}
	mode := props.InvokeMode
	if mode == "" {
		mode = awslambda.InvokeMode_RESPONSE_STREAM
	}
	if mode != awslambda.InvokeMode_RESPONSE_STREAM && mode != awslambda.InvokeMode_BUFFERED {
		panic(fmt.Sprintf("lambdagrpc: InvokeMode %q: use awslambda.InvokeMode_BUFFERED or awslambda.InvokeMode_RESPONSE_STREAM", mode))
	}
	if props.AuthType == "" {
		panic("lambdagrpc: AuthType is required: awslambda.FunctionUrlAuthType_NONE for a public URL, or FunctionUrlAuthType_AWS_IAM")
	}
	arch := props.Architecture
	if arch == nil {
		arch = awslambda.Architecture_ARM_64()
	}
	env := map[string]*string{}
	if props.Environment != nil {
		for k, v := range *props.Environment {
			if k == EnvInvokeMode {
				panic("lambdagrpc: Environment may not set " + EnvInvokeMode + ": InvokeMode sets it, and the Function URL's invoke mode with it")
			}
			env[k] = v
		}
	}
	env[EnvInvokeMode] = jsii.String(string(mode))
	memory := props.MemorySize
	if memory == nil {
		memory = jsii.Number(256)
	}
	timeout := props.Timeout
	if timeout == nil {
		timeout = awscdk.Duration_Seconds(jsii.Number(10))
	}
	cors := corsDefaults(props.Cors)
	if props.Alb != nil && props.Alb.Listener == nil {
		panic("lambdagrpc: Alb.Listener is required")
	}

	// Children are defined in the plain construct: jsii knows it, not the
	// Go struct that embeds it.
	c := constructs.NewConstruct(scope, id)
	f := &function{Construct: c, mode: mode}
	f.fn = awslambda.NewFunction(c, jsii.String("Function"), &awslambda.FunctionProps{
		Runtime:      awslambda.Runtime_PROVIDED_AL2023(),
		Handler:      jsii.String("bootstrap"),
		Code:         code(props, *arch.Name()),
		Architecture: arch,
		MemorySize:   memory,
		Timeout:      timeout,
		Environment:  &env,
		FunctionName: props.FunctionName,
		Description:  props.Description,
	})
	urlOpts := &awslambda.FunctionUrlOptions{AuthType: props.AuthType, InvokeMode: mode}
	if cors != nil {
		urlOpts.Cors = cors
	}
	f.url = f.fn.AddFunctionUrl(urlOpts)
	// Function().AddEnvironment could still change the variable: the
	// synthesis checks it.
	c.Node().AddValidation(&modeCheck{fn: f.fn, mode: mode})
	awscdk.NewCfnOutput(c, jsii.String("Url"), &awscdk.CfnOutputProps{
		Value:       f.url.Url(),
		Description: jsii.String("The function URL (invoke mode " + string(mode) + ")"),
	})

	if props.HttpApi != nil && *props.HttpApi {
		apiProps := &awsapigatewayv2.HttpApiProps{}
		if cors != nil {
			apiProps.CorsPreflight = httpAPICors(cors)
		}
		f.api = awsapigatewayv2.NewHttpApi(c, jsii.String("HttpApi"), apiProps)
		f.api.AddRoutes(&awsapigatewayv2.AddRoutesOptions{
			Path:        jsii.String("/{proxy+}"),
			Methods:     &[]awsapigatewayv2.HttpMethod{awsapigatewayv2.HttpMethod_ANY},
			Integration: awsapigatewayv2integrations.NewHttpLambdaIntegration(jsii.String("Integration"), f.fn, nil),
		})
		awscdk.NewCfnOutput(c, jsii.String("HttpApiUrl"), &awscdk.CfnOutputProps{
			Value:       f.api.ApiEndpoint(),
			Description: jsii.String("The HTTP API's endpoint (buffered)"),
		})
	}

	if props.Alb != nil {
		f.targetGroup = props.Alb.Listener.AddTargets(jsii.String(*c.Node().Id()+"Target"), &awselasticloadbalancingv2.AddApplicationTargetsProps{
			Targets:    &[]awselasticloadbalancingv2.IApplicationLoadBalancerTarget{awselasticloadbalancingv2targets.NewLambdaTarget(f.fn)},
			Priority:   props.Alb.Priority,
			Conditions: props.Alb.Conditions,
		})
		if props.Alb.MultiValueHeaders != nil && *props.Alb.MultiValueHeaders {
			f.targetGroup.SetAttribute(jsii.String("lambda.multi_value_headers.enabled"), jsii.String("true"))
		}
	}
	return f
}

// modeCheck fails the synthesis when the function's LAMBDAGRPC_INVOKE_MODE
// is not the Function URL's invoke mode.
type modeCheck struct {
	fn   awslambda.Function
	mode awslambda.InvokeMode
}

// Validate reports a LAMBDAGRPC_INVOKE_MODE that differs from the mode.
func (m *modeCheck) Validate() *[]*string {
	cfn, ok := m.fn.Node().DefaultChild().(awslambda.CfnFunction)
	if !ok {
		return jsii.Strings("lambdagrpc: the function has no AWS::Lambda::Function to check " + EnvInvokeMode + " in")
	}
	// The properties as the template will have them: the environment is a
	// token until it is resolved.
	props, _ := awscdk.Stack_Of(m.fn).Resolve(cfn.CfnProperties()).(map[string]any)
	env, _ := props["environment"].(map[string]any)
	vars, _ := env["variables"].(map[string]any)
	if got := vars[EnvInvokeMode]; got != string(m.mode) {
		return jsii.Strings(fmt.Sprintf("lambdagrpc: the function's %s is %v, but its Function URL's invoke mode is %s: set FunctionProps.InvokeMode, not the variable", EnvInvokeMode, got, m.mode))
	}
	return &[]*string{}
}

// corsDefaults fills in what gRPC-Web and Connect need; nil stays nil.
func corsDefaults(c *awslambda.FunctionUrlCorsOptions) *awslambda.FunctionUrlCorsOptions {
	if c == nil {
		return nil
	}
	if c.AllowedOrigins == nil || len(*c.AllowedOrigins) == 0 {
		panic(`lambdagrpc: Cors.AllowedOrigins is required: list the origins, or "*" for every origin`)
	}
	out := *c
	if out.AllowedMethods == nil {
		out.AllowedMethods = &[]awslambda.HttpMethod{awslambda.HttpMethod_POST, awslambda.HttpMethod_GET}
	}
	if out.AllowedHeaders == nil {
		out.AllowedHeaders = jsii.Strings("*")
	}
	if out.ExposedHeaders == nil {
		out.ExposedHeaders = jsii.Strings(ExposedHeaders...)
	}
	if out.MaxAge == nil {
		out.MaxAge = awscdk.Duration_Hours(jsii.Number(2))
	}
	return &out
}

// httpAPICors is the Function URL's CORS, for the HTTP API.
func httpAPICors(c *awslambda.FunctionUrlCorsOptions) *awsapigatewayv2.CorsPreflightOptions {
	methods := []awsapigatewayv2.CorsHttpMethod{}
	for _, m := range *c.AllowedMethods {
		methods = append(methods, awsapigatewayv2.CorsHttpMethod(m))
	}
	return &awsapigatewayv2.CorsPreflightOptions{
		AllowOrigins:     c.AllowedOrigins,
		AllowMethods:     &methods,
		AllowHeaders:     c.AllowedHeaders,
		ExposeHeaders:    c.ExposedHeaders,
		MaxAge:           c.MaxAge,
		AllowCredentials: c.AllowCredentials,
	}
}

// code is the function's code: the prebuilt Zip, or Package built by
// `lambdagrpc build` when the app synthesizes.
func code(props *FunctionProps, arch string) awslambda.Code {
	switch {
	case props.Zip != nil && props.Package != nil:
		panic("lambdagrpc: give Package or Zip, not both")
	case props.Zip != nil:
		return awslambda.Code_FromAsset(props.Zip, nil)
	case props.Package == nil:
		panic("lambdagrpc: Package (the Go package to build) or Zip (a zip built by lambdagrpc build) is required")
	}
	dir := "."
	if props.Dir != nil {
		dir = *props.Dir
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		panic(fmt.Sprintf("lambdagrpc: Dir %q: %v", dir, err))
	}
	command := DefaultBuildCommand
	if props.BuildCommand != nil {
		command = nil
		for _, s := range *props.BuildCommand {
			command = append(command, *s)
		}
		if len(command) == 0 {
			panic("lambdagrpc: BuildCommand is empty")
		}
	}
	b := &builder{dir: abs, command: command, pkg: *props.Package, arch: arch}
	// The asset is the zip the build writes (its hash is the zip's, which
	// the build makes reproducible), so the module folder is not
	// fingerprinted. The image is never used: the build runs here, and a
	// failed build fails the synthesis rather than falling back to Docker.
	return awslambda.Code_FromAsset(jsii.String(abs), &awss3assets.AssetOptions{
		AssetHashType: awscdk.AssetHashType_OUTPUT,
		Bundling: &awscdk.BundlingOptions{
			Image:      awscdk.DockerImage_FromRegistry(jsii.String("lambdagrpc-builds-locally")),
			Local:      b,
			OutputType: awscdk.BundlingOutput_ARCHIVED,
		},
	})
}

// builder runs `lambdagrpc build` as the asset's local bundling.
type builder struct {
	dir     string
	command []string
	pkg     string
	arch    string
}

// TryBundle builds the package into outputDir/function.zip.
func (b *builder) TryBundle(outputDir *string, _ *awscdk.BundlingOptions) *bool {
	if err := b.build(filepath.Join(*outputDir, "function.zip")); err != nil {
		panic(err.Error())
	}
	return jsii.Bool(true)
}

func (b *builder) build(zip string) error {
	args := append(append([]string(nil), b.command[1:]...), "build", "-o", zip, "-arch", b.arch, b.pkg)
	cmd := exec.Command(b.command[0], args...)
	cmd.Dir = b.dir
	cmd.Stdout = os.Stderr
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("lambdagrpc: building %s in %s (%s): %w", b.pkg, b.dir, strings.Join(append(b.command[:1:1], args...), " "), err)
	}
	return nil
}
