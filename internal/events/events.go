// Package events defines the JSON shapes of the HTTP events Lambda delivers
// (Function URL and API Gateway HTTP API payload 2.0, API Gateway REST and
// HTTP API payload 1.0, Application Load Balancer) and of the responses each
// source accepts, including the HTTP-integration prelude of streamed
// responses.
//
// The runtime side decodes requests and encodes responses; the emulator does
// the opposite. Both use these types so the shapes live in one place.
package events

import "encoding/json"

// Source is the kind of front door that produced an event.
type Source int

// The event sources, in the order Detect tries them.
const (
	SourceUnknown Source = iota
	// SourceV2 is payload format 2.0: Function URLs and HTTP APIs.
	SourceV2
	// SourceV1 is payload format 1.0: REST APIs and HTTP APIs configured
	// with payload format 1.0.
	SourceV1
	// SourceALB is an Application Load Balancer target group.
	SourceALB
)

// String names the source for logs.
func (s Source) String() string {
	switch s {
	case SourceV2:
		return "payload 2.0 (Function URL or HTTP API)"
	case SourceV1:
		return "payload 1.0 (REST API or HTTP API)"
	case SourceALB:
		return "ALB"
	default:
		return "unknown"
	}
}

// V2Request is a payload format 2.0 request.
type V2Request struct {
	Version               string            `json:"version"`
	RouteKey              string            `json:"routeKey,omitempty"`
	RawPath               string            `json:"rawPath"`
	RawQueryString        string            `json:"rawQueryString"`
	Cookies               []string          `json:"cookies,omitempty"`
	Headers               map[string]string `json:"headers,omitempty"`
	QueryStringParameters map[string]string `json:"queryStringParameters,omitempty"`
	PathParameters        map[string]string `json:"pathParameters,omitempty"`
	StageVariables        map[string]string `json:"stageVariables,omitempty"`
	RequestContext        V2RequestContext  `json:"requestContext"`
	Body                  string            `json:"body,omitempty"`
	IsBase64Encoded       bool              `json:"isBase64Encoded"`
}

// V2RequestContext is the requestContext of a payload 2.0 request.
type V2RequestContext struct {
	AccountID    string        `json:"accountId,omitempty"`
	APIID        string        `json:"apiId,omitempty"`
	DomainName   string        `json:"domainName,omitempty"`
	DomainPrefix string        `json:"domainPrefix,omitempty"`
	RequestID    string        `json:"requestId,omitempty"`
	RouteKey     string        `json:"routeKey,omitempty"`
	Stage        string        `json:"stage,omitempty"`
	Time         string        `json:"time,omitempty"`
	TimeEpoch    int64         `json:"timeEpoch,omitempty"`
	HTTP         V2HTTP        `json:"http"`
	Authorizer   *V2Authorizer `json:"authorizer,omitempty"`
}

// V2HTTP describes the HTTP request of a payload 2.0 event.
type V2HTTP struct {
	Method    string `json:"method"`
	Path      string `json:"path"`
	Protocol  string `json:"protocol,omitempty"`
	SourceIP  string `json:"sourceIp,omitempty"`
	UserAgent string `json:"userAgent,omitempty"`
}

// V2Authorizer carries the identity established by the front door.
type V2Authorizer struct {
	IAM    *IAMIdentity    `json:"iam,omitempty"`
	JWT    json.RawMessage `json:"jwt,omitempty"`
	Lambda json.RawMessage `json:"lambda,omitempty"`
}

// IAMIdentity is the caller of an AWS_IAM Function URL or HTTP API route.
type IAMIdentity struct {
	AccessKey       string          `json:"accessKey,omitempty"`
	AccountID       string          `json:"accountId,omitempty"`
	CallerID        string          `json:"callerId,omitempty"`
	CognitoIdentity json.RawMessage `json:"cognitoIdentity,omitempty"`
	PrincipalOrgID  string          `json:"principalOrgId,omitempty"`
	UserARN         string          `json:"userArn,omitempty"`
	UserID          string          `json:"userId,omitempty"`
}

// V2Response is a buffered payload 2.0 response.
type V2Response struct {
	StatusCode      int               `json:"statusCode"`
	Headers         map[string]string `json:"headers,omitempty"`
	Cookies         []string          `json:"cookies,omitempty"`
	Body            string            `json:"body"`
	IsBase64Encoded bool              `json:"isBase64Encoded"`
}

// V1Request is a payload format 1.0 request (REST API proxy integration, or
// an HTTP API with payload format 1.0).
type V1Request struct {
	Version                         string              `json:"version,omitempty"`
	Resource                        string              `json:"resource"`
	Path                            string              `json:"path"`
	HTTPMethod                      string              `json:"httpMethod"`
	Headers                         map[string]string   `json:"headers"`
	MultiValueHeaders               map[string][]string `json:"multiValueHeaders"`
	QueryStringParameters           map[string]string   `json:"queryStringParameters"`
	MultiValueQueryStringParameters map[string][]string `json:"multiValueQueryStringParameters"`
	PathParameters                  map[string]string   `json:"pathParameters"`
	StageVariables                  map[string]string   `json:"stageVariables"`
	RequestContext                  V1RequestContext    `json:"requestContext"`
	Body                            *string             `json:"body"`
	IsBase64Encoded                 bool                `json:"isBase64Encoded"`
}

// V1RequestContext is the requestContext of a payload 1.0 request.
type V1RequestContext struct {
	AccountID         string          `json:"accountId,omitempty"`
	ResourceID        string          `json:"resourceId,omitempty"`
	Stage             string          `json:"stage,omitempty"`
	RequestID         string          `json:"requestId,omitempty"`
	ExtendedRequestID string          `json:"extendedRequestId,omitempty"`
	Identity          V1Identity      `json:"identity"`
	ResourcePath      string          `json:"resourcePath,omitempty"`
	Path              string          `json:"path,omitempty"`
	HTTPMethod        string          `json:"httpMethod,omitempty"`
	APIID             string          `json:"apiId,omitempty"`
	Protocol          string          `json:"protocol,omitempty"`
	RequestTime       string          `json:"requestTime,omitempty"`
	RequestTimeEpoch  int64           `json:"requestTimeEpoch,omitempty"`
	DomainName        string          `json:"domainName,omitempty"`
	Authorizer        json.RawMessage `json:"authorizer,omitempty"`
}

// V1Identity is the caller identity of a payload 1.0 request.
type V1Identity struct {
	SourceIP  string `json:"sourceIp,omitempty"`
	UserAgent string `json:"userAgent,omitempty"`
	UserARN   string `json:"userArn,omitempty"`
	AccountID string `json:"accountId,omitempty"`
	Caller    string `json:"caller,omitempty"`
	User      string `json:"user,omitempty"`
	AccessKey string `json:"accessKey,omitempty"`
}

// V1Response is a buffered payload 1.0 response. When both header maps are
// present the front door merges them, MultiValueHeaders winning.
type V1Response struct {
	StatusCode        int                 `json:"statusCode"`
	Headers           map[string]string   `json:"headers,omitempty"`
	MultiValueHeaders map[string][]string `json:"multiValueHeaders,omitempty"`
	Body              string              `json:"body"`
	IsBase64Encoded   bool                `json:"isBase64Encoded"`
}

// ALBRequest is an Application Load Balancer request. Exactly one of the
// single- and multi-value maps is present, depending on the target group's
// multi-value headers attribute. Query values arrive still percent-encoded.
type ALBRequest struct {
	RequestContext                  ALBRequestContext   `json:"requestContext"`
	HTTPMethod                      string              `json:"httpMethod"`
	Path                            string              `json:"path"`
	QueryStringParameters           map[string]string   `json:"queryStringParameters,omitempty"`
	MultiValueQueryStringParameters map[string][]string `json:"multiValueQueryStringParameters,omitempty"`
	Headers                         map[string]string   `json:"headers,omitempty"`
	MultiValueHeaders               map[string][]string `json:"multiValueHeaders,omitempty"`
	Body                            string              `json:"body"`
	IsBase64Encoded                 bool                `json:"isBase64Encoded"`
}

// ALBRequestContext identifies the target group.
type ALBRequestContext struct {
	ELB struct {
		TargetGroupARN string `json:"targetGroupArn"`
	} `json:"elb"`
}

// ALBResponse is an ALB response; it must use MultiValueHeaders when the
// request did.
type ALBResponse struct {
	StatusCode        int                 `json:"statusCode"`
	StatusDescription string              `json:"statusDescription"`
	Headers           map[string]string   `json:"headers,omitempty"`
	MultiValueHeaders map[string][]string `json:"multiValueHeaders,omitempty"`
	Body              string              `json:"body"`
	IsBase64Encoded   bool                `json:"isBase64Encoded"`
}

// StreamPrelude is the JSON that opens a streamed HTTP-integration response,
// before the eight NUL bytes of runtimeapi.PreludeDelimiter.
type StreamPrelude struct {
	StatusCode        int                 `json:"statusCode"`
	Headers           map[string]string   `json:"headers,omitempty"`
	MultiValueHeaders map[string][]string `json:"multiValueHeaders,omitempty"`
	Cookies           []string            `json:"cookies,omitempty"`
}

// Request is the union of every request shape, so an event of unknown
// source is decoded in one pass and classified by Source.
type Request struct {
	Version                         string              `json:"version"`
	RawPath                         string              `json:"rawPath"`
	RawQueryString                  string              `json:"rawQueryString"`
	Cookies                         []string            `json:"cookies"`
	Headers                         map[string]string   `json:"headers"`
	MultiValueHeaders               map[string][]string `json:"multiValueHeaders"`
	QueryStringParameters           map[string]string   `json:"queryStringParameters"`
	MultiValueQueryStringParameters map[string][]string `json:"multiValueQueryStringParameters"`
	HTTPMethod                      string              `json:"httpMethod"`
	Path                            string              `json:"path"`
	RequestContext                  json.RawMessage     `json:"requestContext"`
	Body                            string              `json:"body"`
	IsBase64Encoded                 bool                `json:"isBase64Encoded"`

	// BodyBytes and BodyError are set by Decode (see there), not by
	// encoding/json.
	BodyBytes []byte `json:"-"`
	BodyError error  `json:"-"`
	// Context is RequestContext decoded, by Decode in the same pass;
	// ContextError says why it could not be (a requestContext encoding/json
	// would not decode into a RequestContext).
	Context      RequestContext `json:"-"`
	ContextError error          `json:"-"`
}

// RequestContext is the union of the requestContext fields the runtime
// needs from every source.
type RequestContext struct {
	DomainName string      `json:"domainName"`
	RequestID  string      `json:"requestId"`
	HTTP       *V2HTTP     `json:"http"`
	Identity   *V1Identity `json:"identity"`
	ELB        *struct {
		TargetGroupARN string `json:"targetGroupArn"`
	} `json:"elb"`

	// APIID and Stage identify an API Gateway API and its stage; with
	// DomainName they tell whether the event's path holds the stage.
	APIID string `json:"apiId"`
	Stage string `json:"stage"`
}

// Source classifies a decoded request; rc is its decoded requestContext.
func (r *Request) Source(rc *RequestContext) Source {
	switch {
	case rc.ELB != nil:
		return SourceALB
	case r.Version == "2.0" || (rc.HTTP != nil && r.HTTPMethod == ""):
		return SourceV2
	case r.HTTPMethod != "":
		return SourceV1
	}
	return SourceUnknown
}
