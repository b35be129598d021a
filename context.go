package lambdagrpc

import (
	"context"
	"encoding/json"
	"time"
)

// LambdaContext describes the Lambda invocation a call arrived in. Handlers
// reach it with [FromContext]; it is per invocation, so it is correct under
// Managed Instances concurrency, where environment variables such as
// _X_AMZN_TRACE_ID cannot be.
type LambdaContext struct {
	// RequestID is the invocation's AWS request id.
	RequestID string
	// FunctionARN is the ARN the function was invoked with, including any
	// version or alias qualifier.
	FunctionARN string
	// Deadline is when Lambda stops the invocation. The call's own context
	// expires earlier, by the deadline margin (see [WithDeadlineMargin]).
	Deadline time.Time
	// TraceID is the X-Ray trace header of this invocation, if any.
	TraceID string
	// TenantID is the tenant of a multi-tenant function, if any.
	TenantID string
	// ClientContext is the client context JSON the invoker sent, if any.
	ClientContext json.RawMessage
	// CognitoIdentity is the Cognito identity JSON of the caller, if any.
	CognitoIdentity json.RawMessage
	// RequestContext is the requestContext object of the HTTP event: the
	// front door's view of the request, including any authorizer's identity
	// and claims.
	RequestContext json.RawMessage
}

type lambdaContextKey struct{}

// FromContext returns the Lambda invocation of a call. It reports false
// outside Lambda.
func FromContext(ctx context.Context) (*LambdaContext, bool) {
	lc, ok := ctx.Value(lambdaContextKey{}).(*LambdaContext)
	return lc, ok
}

// NewContext returns ctx carrying lc, for tests of code that reads
// [FromContext].
func NewContext(ctx context.Context, lc *LambdaContext) context.Context {
	return context.WithValue(ctx, lambdaContextKey{}, lc)
}

type clientDeadlineKey struct{}

// ClientDeadline reports the deadline the client asked for (grpc-timeout or
// connect-timeout-ms), if it asked for one. A call's context may expire
// earlier: on Lambda every call also ends before the invocation's deadline.
func ClientDeadline(ctx context.Context) (time.Time, bool) {
	t, ok := ctx.Value(clientDeadlineKey{}).(time.Time)
	return t, ok
}
