package emulator

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/lambdagrpc/lambdagrpc/internal/events"
	"github.com/lambdagrpc/lambdagrpc/internal/runtimeapi"
)

// maxRequest is Lambda's synchronous invoke payload limit, which bounds
// the whole event.
const maxRequest = 6 * 1024 * 1024

// FrontDoorKind names a kind of front door: the AWS service in front of the
// function, whose event and response formats a door of that kind speaks.
// Its values are the names `lambdagrpc emulate --front-door` and the
// configuration file's "kind" take.
type FrontDoorKind string

// Front door kinds.
const (
	// FunctionURL is a Lambda Function URL (payload 2.0), buffered or
	// streamed as Config.InvokeMode says.
	FunctionURL FrontDoorKind = "function-url"
	// HTTPAPI is an API Gateway HTTP API with payload format 2.0.
	HTTPAPI FrontDoorKind = "http-api"
	// HTTPAPIv1 is an API Gateway HTTP API with payload format 1.0.
	HTTPAPIv1 FrontDoorKind = "http-api-v1"
	// REST is an API Gateway REST API with a Lambda proxy integration.
	REST FrontDoorKind = "rest"
	// RESTStream is a REST API whose integration streams responses
	// (responseTransferMode STREAM).
	RESTStream FrontDoorKind = "rest-stream"
	// ALB is an Application Load Balancer target group.
	ALB FrontDoorKind = "alb"
	// ALBMultiValue is an ALB target group with multi-value headers on.
	ALBMultiValue FrontDoorKind = "alb-multi-value"
)

// FrontDoor configures one more front door of a function.
type FrontDoor struct {
	// Kind is HTTPAPI, HTTPAPIv1, REST, RESTStream, ALB or ALBMultiValue.
	Kind FrontDoorKind `json:"kind"`
	// Addr is where it listens. Default "127.0.0.1:0".
	Addr string `json:"addr"`
	// Stage is the API Gateway stage of a REST or HTTP API door. A named
	// stage is the first segment of the door's URL (see
	// Emulator.FrontDoorURL), as on execute-api domains: a request outside
	// it is refused as API Gateway refuses it (REST 403 "Missing
	// Authentication Token", HTTP API 404). Default "prod" for REST doors
	// and "$default" (no stage in the URL) for HTTP API doors.
	Stage string `json:"stage,omitempty"`
}

// defaultStage is the stage a door of kind has when none is configured.
func defaultStage(kind FrontDoorKind) string {
	switch kind {
	case REST, RESTStream:
		return "prod"
	case HTTPAPI, HTTPAPIv1:
		return "$default"
	}
	return ""
}

// checkStage reports whether stage is a stage name API Gateway accepts for
// a door of kind.
func checkStage(kind FrontDoorKind, stage string) error {
	switch kind {
	case REST, RESTStream, HTTPAPI, HTTPAPIv1:
	default:
		if stage != "" {
			return fmt.Errorf("emulator: a %s front door has no stage (got %q)", kind, stage)
		}
		return nil
	}
	if stage == "$default" && (kind == HTTPAPI || kind == HTTPAPIv1) {
		return nil
	}
	ok := stage != "" && len(stage) <= 128
	for _, c := range stage {
		ok = ok && (c == '-' || c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z')
	}
	if !ok {
		return fmt.Errorf("emulator: %s front door: stage %q: use letters, digits, '-' and '_'%s", kind, stage,
			map[bool]string{true: `, or "$default"`}[kind == HTTPAPI || kind == HTTPAPIv1])
	}
	return nil
}

// frontDoor turns HTTP requests into events of its kind and the function's
// answers back into HTTP responses.
type frontDoor struct {
	e      *Emulator
	kind   FrontDoorKind
	stream bool
	multi  bool
	apiID  string
	stage  string // API Gateway doors: "$default" or a name in every path
}

// namedStage reports whether the door's URL starts with its stage.
func (f *frontDoor) namedStage() bool { return f.stage != "" && f.stage != "$default" }

// inStage checks that r is addressed to the door's stage, as API Gateway's
// execute-api domains route by the path's first segment, and answers it as
// API Gateway does when it is not.
func (f *frontDoor) inStage(w http.ResponseWriter, r *http.Request) bool {
	if !f.namedStage() {
		return true
	}
	rest, ok := strings.CutPrefix(events.SentPath(r), "/"+f.stage)
	if ok && (rest == "" || rest[0] == '/') {
		return true
	}
	w.Header().Set("Content-Type", "application/json")
	if f.kind == REST || f.kind == RESTStream {
		w.Header().Set("X-Amzn-Errortype", "MissingAuthenticationTokenException")
		w.WriteHeader(http.StatusForbidden)
		_, _ = io.WriteString(w, `{"message":"Missing Authentication Token"}`)
		return false
	}
	w.WriteHeader(http.StatusNotFound)
	_, _ = io.WriteString(w, `{"message":"Not Found"}`)
	return false
}

func (f *frontDoor) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rt := f.e.rt
	cfg := &f.e.cfg
	if f.kind == FunctionURL && cfg.CORS != nil {
		if cfg.CORS.preflight(w, r) {
			return
		}
		w = &corsWriter{ResponseWriter: w, cors: cfg.CORS, origin: r.Header.Get("Origin")}
	}
	if !f.inStage(w, r) {
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequest+1))
	if err != nil {
		lambdaError(w, http.StatusBadRequest, "InvalidRequestContentException", "could not read the request body")
		return
	}
	var caller string
	if f.kind == FunctionURL && cfg.AuthType == "AWS_IAM" {
		v := &sigv4{service: "lambda", region: cfg.Region, keys: cfg.Credentials, now: time.Now}
		if caller, err = v.verify(r, body); err != nil {
			cfg.Logger.Info("emulator: request refused by AWS_IAM auth", "function", cfg.Name, "reason", err)
			lambdaError(w, http.StatusForbidden, "AccessDeniedException", "Forbidden")
			return
		}
	}
	tr := newTrace(r.Header.Get("X-Amzn-Trace-Id"))
	event, err := f.event(r, body, caller, tr)
	if err != nil || len(event) > maxRequest {
		lambdaError(w, http.StatusRequestEntityTooLarge, "RequestTooLargeException", fmt.Sprintf("Request must be smaller than %d bytes for the InvokeFunction operation", maxRequest))
		return
	}
	inv, err := rt.invoke(event, tr.runtime(), invokeOptions{stream: f.stream})
	if errors.Is(err, errThrottled) {
		code := http.StatusTooManyRequests
		if f.kind == REST || f.kind == RESTStream {
			code = http.StatusInternalServerError // REST proxies report Lambda's rejection as 500
		}
		lambdaError(w, code, "TooManyRequestsException", "Rate Exceeded.")
		return
	}
	if err != nil {
		lambdaError(w, http.StatusInternalServerError, "ServiceException", err.Error())
		return
	}
	w.Header().Set("X-Amzn-Requestid", inv.id)
	if f.stream {
		select {
		case s := <-inv.streams:
			f.copyStream(w, r, s)
			return
		case <-inv.done:
		case <-r.Context().Done():
			go abandon(inv)
			return
		}
	} else if !waitCtx(r.Context(), inv) {
		return
	}
	f.buffered(w, inv.result)
}

// abandon drains a stream whose caller has left, so the runtime's post
// completes.
func abandon(inv *invocation) {
	select {
	case s := <-inv.streams:
		s.finish(true)
	case <-inv.done:
	}
}

// lambdaError answers as Lambda's front door does for errors of its own.
func lambdaError(w http.ResponseWriter, code int, errType, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-Errortype", errType)
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]string{"Message": msg})
}

// badGateway answers a function error or an unusable answer as the front
// door would.
func (f *frontDoor) badGateway(w http.ResponseWriter, errType string) {
	w.Header().Set("X-Amzn-Errortype", errType)
	switch f.kind {
	case ALB, ALBMultiValue:
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		_, _ = io.WriteString(w, "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>\n")
	case FunctionURL:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadGateway)
		_, _ = io.WriteString(w, `{"Message":"Internal Server Error"}`)
	default:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadGateway)
		_, _ = io.WriteString(w, `{"message":"Internal server error"}`)
	}
}

func (f *frontDoor) buffered(w http.ResponseWriter, o *outcome) {
	if o.errType != "" && !o.tooLarge {
		f.e.cfg.Logger.Info("emulator: function error", "function", f.e.cfg.Name, "errorType", o.errType, "error", string(o.errBody))
		f.badGateway(w, o.errType)
		return
	}
	switch f.kind {
	case REST, RESTStream, HTTPAPIv1, ALB, ALBMultiValue:
		if o.tooLarge {
			f.badGateway(w, runtimeapi.ErrorTypeResponseSizeTooLarge)
			return
		}
		f.bufferedV1(w, o)
		return
	}
	if o.tooLarge {
		lambdaError(w, http.StatusRequestEntityTooLarge, runtimeapi.ErrorTypeResponseSizeTooLarge, "Response payload size exceeded maximum allowed payload size (6291556 bytes).")
		return
	}
	var resp events.V2Response
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(o.body, &probe); err != nil {
		if json.Valid(o.body) {
			// Any other JSON value is the body itself.
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(o.body)
			return
		}
		w.Header().Set("X-Amzn-Errortype", "Function.InvalidResponse")
		w.WriteHeader(http.StatusBadGateway)
		_, _ = io.WriteString(w, `{"Message":"Internal Server Error"}`)
		return
	}
	if _, ok := probe["statusCode"]; !ok {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(o.body)
		return
	}
	if err := json.Unmarshal(o.body, &resp); err != nil {
		w.Header().Set("X-Amzn-Errortype", "Function.InvalidResponse")
		w.WriteHeader(http.StatusBadGateway)
		_, _ = io.WriteString(w, `{"Message":"Internal Server Error"}`)
		return
	}
	body := []byte(resp.Body)
	if resp.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(resp.Body)
		if err != nil {
			w.Header().Set("X-Amzn-Errortype", "Function.InvalidResponse")
			w.WriteHeader(http.StatusBadGateway)
			_, _ = io.WriteString(w, `{"Message":"Internal Server Error"}`)
			return
		}
		body = b
	}
	for k, v := range resp.Headers {
		w.Header().Set(k, v)
	}
	for _, c := range resp.Cookies {
		w.Header().Add("Set-Cookie", c)
	}
	code := resp.StatusCode
	if code == 0 {
		code = http.StatusOK
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(code)
	_, _ = w.Write(body)
}

// copyStream copies a streamed response to the caller as it arrives.
func (f *frontDoor) copyStream(w http.ResponseWriter, r *http.Request, s *stream) {
	rc := http.NewResponseController(w)
	buf := make([]byte, 32<<10)
	abandoned := true
	defer func() {
		trailer := s.finish(abandoned)
		if o := trailerError(trailer); o != nil {
			// Bytes already sent cannot be taken back: the caller sees the
			// response cut off.
			f.e.cfg.Logger.Info("emulator: stream ended with an error", "function", f.e.cfg.Name, "errorType", o.errType, "error", string(o.errBody))
			panic(http.ErrAbortHandler)
		}
	}()
	if s.contentType == runtimeapi.ContentTypeHTTPIntegration {
		prelude, rest, err := events.ReadPrelude(s.body)
		if err != nil {
			f.e.cfg.Logger.Warn("emulator: bad streamed response prelude", "function", f.e.cfg.Name, "error", err)
			lambdaError(w, http.StatusBadGateway, "Function.InvalidResponse", err.Error())
			return
		}
		h := w.Header()
		for k, v := range prelude.Headers {
			h.Set(k, v)
		}
		for k, vs := range prelude.MultiValueHeaders {
			h[http.CanonicalHeaderKey(k)] = vs
		}
		for _, c := range prelude.Cookies {
			h.Add("Set-Cookie", c)
		}
		code := prelude.StatusCode
		if code == 0 {
			code = http.StatusOK
		}
		w.WriteHeader(code)
		if len(rest) > 0 {
			_, _ = w.Write(rest)
		}
		_ = rc.Flush()
	} else {
		if s.contentType != "" {
			w.Header().Set("Content-Type", s.contentType)
		}
		w.WriteHeader(http.StatusOK)
		_ = rc.Flush()
	}
	for {
		n, err := s.body.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return
			}
			_ = rc.Flush()
		}
		if errors.Is(err, io.EOF) {
			abandoned = false
			return
		}
		if err != nil {
			// The runtime's connection broke or the invocation timed out.
			panic(http.ErrAbortHandler)
		}
	}
}

// ParsePrelude parses the JSON prelude of a streamed HTTP-integration
// response (the bytes before the eight NUL delimiter).
func ParsePrelude(b []byte) (*events.StreamPrelude, error) { return events.ParsePrelude(b) }

func randomHex(n int) string {
	return strings.ReplaceAll(uuid(), "-", "")[:2*n]
}

// event builds the event of a request through the door: payload format
// 2.0 for Function URLs and HTTP APIs.
func (f *frontDoor) event(r *http.Request, body []byte, caller string, tr trace) ([]byte, error) {
	switch f.kind {
	case REST, RESTStream, HTTPAPIv1:
		return f.eventV1(r, body, tr)
	case ALB, ALBMultiValue:
		return f.eventALB(r, body, tr)
	}
	cfg := &f.e.cfg
	domain := f.apiID + ".lambda-url." + cfg.Region + ".on.aws"
	if f.kind == HTTPAPI {
		domain = f.apiID + ".execute-api." + cfg.Region + ".amazonaws.com"
	}
	now := time.Now().UTC()
	sourceIP, _, _ := net.SplitHostPort(r.RemoteAddr)
	_, hostPort, _ := net.SplitHostPort(r.Host)
	ev := events.NewV2Request(r, body, events.V2RequestContext{
		AccountID:    "anonymous",
		APIID:        f.apiID,
		DomainName:   domain,
		DomainPrefix: f.apiID,
		RequestID:    uuid(),
		Stage:        cmp.Or(f.stage, "$default"),
		Time:         now.Format("02/Jan/2006:15:04:05 -0700"),
		TimeEpoch:    now.UnixMilli(),
		HTTP:         events.V2HTTP{SourceIP: sourceIP},
	})
	ev.Headers["host"] = domain
	ev.Headers["x-forwarded-proto"] = "http"
	if hostPort != "" {
		ev.Headers["x-forwarded-port"] = hostPort
	}
	ev.Headers["x-forwarded-for"] = sourceIP
	ev.Headers["x-amzn-trace-id"] = tr.header()
	if caller != "" {
		ev.RequestContext.AccountID = "123456789012"
		ev.RequestContext.Authorizer = &events.V2Authorizer{IAM: &events.IAMIdentity{
			AccessKey: caller, AccountID: "123456789012", CallerID: "AIDAEMULATOR:" + caller,
			UserARN: "arn:aws:iam::123456789012:user/" + caller, UserID: "AIDAEMULATOR",
		}}
	}
	if f.kind == HTTPAPI {
		// API Gateway decodes the path of an HTTP API request before it
		// builds the event; a Function URL leaves it as sent.
		ev.RawPath = r.URL.Path
		ev.RouteKey = "ANY /{proxy+}"
		ev.RequestContext.RouteKey = ev.RouteKey
		ev.RequestContext.AccountID = "123456789012"
		ev.PathParameters = map[string]string{"proxy": strings.TrimPrefix(r.URL.Path, "/")}
	}
	return json.Marshal(&ev)
}
