// Package runtimeapi holds the AWS Lambda Runtime API (version 2018-06-01):
// its paths, headers, limits and error shapes, and the client a function
// runtime uses to poll for invocations and post results.
//
// The same constants serve the runtime client inside lambdagrpc.Serve and the
// Runtime API server in the emulator package, so the two cannot drift apart.
package runtimeapi

// Version is the Runtime API version prefix of every path.
const Version = "/2018-06-01"

// Paths, relative to http://$AWS_LAMBDA_RUNTIME_API.
const (
	PathNext      = Version + "/runtime/invocation/next"
	PathInitError = Version + "/runtime/init/error"
	// PathInvocation is the prefix of /response and /error: it is followed by
	// the request id and SuffixResponse or SuffixError.
	PathInvocation = Version + "/runtime/invocation/"
	SuffixResponse = "/response"
	SuffixError    = "/error"
)

// Headers of a /next response.
const (
	HeaderRequestID       = "Lambda-Runtime-Aws-Request-Id"
	HeaderDeadlineMs      = "Lambda-Runtime-Deadline-Ms"
	HeaderFunctionARN     = "Lambda-Runtime-Invoked-Function-Arn"
	HeaderTraceID         = "Lambda-Runtime-Trace-Id"
	HeaderClientContext   = "Lambda-Runtime-Client-Context"
	HeaderCognitoIdentity = "Lambda-Runtime-Cognito-Identity"
	HeaderTenantID        = "Lambda-Runtime-Aws-Tenant-Id"
	// HeaderInvocationID is echoed back, when present, as a request header of
	// /response and /error so Lambda can reject a stale response (410).
	HeaderInvocationID = "Lambda-Runtime-Invocation-Id"
)

// Headers and values of /response, /error and /runtime/init/error requests.
const (
	HeaderResponseMode   = "Lambda-Runtime-Function-Response-Mode"
	ResponseModeStreamed = "streaming"
	HeaderErrorType      = "Lambda-Runtime-Function-Error-Type"
	// HeaderErrorBody is a trailer of a streamed response: the standard
	// base64 (with padding) of the error JSON.
	HeaderErrorBody = "Lambda-Runtime-Function-Error-Body"
	// HeaderXRayErrorCause optionally carries the X-Ray error cause JSON.
	HeaderXRayErrorCause = "Lambda-Runtime-Function-XRay-Error-Cause"
)

// ContentTypeHTTPIntegration marks a streamed response whose body starts
// with a JSON prelude {statusCode, headers, cookies}, then PreludeDelimiter,
// then the raw HTTP body (Function URL RESPONSE_STREAM and API Gateway REST
// STREAM).
const ContentTypeHTTPIntegration = "application/vnd.awslambda.http-integration-response"

// PreludeDelimiter separates the HTTP-integration prelude from the body.
var PreludeDelimiter = [8]byte{}

// Limits enforced by Lambda.
const (
	// MaxBufferedResponse is the largest buffered /response body Lambda
	// accepts (6 MiB + 100 bytes); a larger one gets 413.
	MaxBufferedResponse = 6*1024*1024 + 100
	// MaxStreamedResponse is the largest streamed response (200 MB).
	MaxStreamedResponse = 200 * 1024 * 1024
)

// Error types used in error bodies and HeaderErrorType.
const (
	ErrorTypeInvalidRequestID       = "InvalidRequestID"
	ErrorTypeInvalidStateTransition = "InvalidStateTransition"
	ErrorTypeInvalidResponseMode    = "InvalidFunctionResponseMode"
	ErrorTypeRequestTooLarge        = "RequestEntityTooLarge"
	ErrorTypeTruncatedRequest       = "TruncatedHTTPRequest"
	ErrorTypeInvokeTimeout          = "ErrorRuntimeInvokeTimeout"
	ErrorTypeContainerError         = "ContainerError"
	ErrorTypeResponseSizeTooLarge   = "Function.ResponseSizeTooLarge"
)

// ErrorResponse is the JSON body of a 4xx/5xx Runtime API answer, of an
// /error or /runtime/init/error request, and of a streamed error trailer.
type ErrorResponse struct {
	ErrorMessage string   `json:"errorMessage"`
	ErrorType    string   `json:"errorType"`
	StackTrace   []string `json:"stackTrace,omitempty"`
}

// StatusResponse is the JSON body of a 202 answer.
type StatusResponse struct {
	Status string `json:"status"`
}
