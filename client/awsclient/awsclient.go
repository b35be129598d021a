// Package awsclient connects lambdagrpc's client to AWS: it signs requests
// to AWS_IAM Function URLs with Signature Version 4, and calls functions
// that have no URL at all by name, through the Lambda Invoke and
// InvokeWithResponseStream APIs with IAM. It keeps the AWS SDK out of the
// client package.
package awsclient

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/lambdagrpc/lambdagrpc/client"
	"github.com/lambdagrpc/lambdagrpc/internal/events"
	"github.com/lambdagrpc/lambdagrpc/internal/runtimeapi"
)

// SigV4 returns a client option that signs every request for an AWS_IAM
// Function URL (service "lambda") in region with credentials from creds,
// for example aws.Config.Credentials from config.LoadDefaultConfig.
func SigV4(creds aws.CredentialsProvider, region string) client.Option {
	return client.WithTransport(&SigningTransport{Credentials: creds, Region: region})
}

// SigningTransport signs requests with SigV4 before sending them with Base.
type SigningTransport struct {
	// Credentials provides the signing keys.
	Credentials aws.CredentialsProvider
	// Region is the Function URL's region.
	Region string
	// Base sends the signed request. Default: http.DefaultTransport.
	Base http.RoundTripper
	// Signer signs. Default: v4.NewSigner().
	Signer *v4.Signer
}

// RoundTrip implements http.RoundTripper.
func (t *SigningTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("awsclient: reading the request to sign it: %w", err)
		}
		body = b
	}
	creds, err := t.Credentials.Retrieve(req.Context())
	if err != nil {
		return nil, fmt.Errorf("awsclient: retrieving AWS credentials: %w", err)
	}
	req = req.Clone(req.Context())
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.ContentLength = int64(len(body))
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])
	req.Header.Set("X-Amz-Content-Sha256", hash)
	signer := t.Signer
	if signer == nil {
		signer = v4.NewSigner()
	}
	if err := signer.SignHTTP(req.Context(), creds, req, hash, "lambda", t.Region, time.Now()); err != nil {
		return nil, fmt.Errorf("awsclient: signing: %w", err)
	}
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	return base.RoundTrip(req)
}

// Invoker is the part of *lambda.Client the Invoke transport uses.
type Invoker interface {
	Invoke(ctx context.Context, in *lambda.InvokeInput, opts ...func(*lambda.Options)) (*lambda.InvokeOutput, error)
	InvokeWithResponseStream(ctx context.Context, in *lambda.InvokeWithResponseStreamInput, opts ...func(*lambda.Options)) (*lambda.InvokeWithResponseStreamOutput, error)
}

// New returns a Conn that calls the function named function (a name, an
// ARN, or name:qualifier) through the Invoke API: each call becomes a
// Function URL-shaped event, so any lambdagrpc function answers it. With
// stream, calls use InvokeWithResponseStream and server-streamed messages
// arrive as the function sends them (the function must run in
// RESPONSE_STREAM mode); otherwise Invoke, buffered. The Invoke API is the
// Conn's transport, so opts must not set another (client.WithHTTPClient,
// client.WithTransport, SigV4): client.New reports the conflict.
func New(lc Invoker, function string, stream bool, opts ...client.Option) (*client.Conn, error) {
	if function == "" {
		return nil, errors.New("awsclient: no function name")
	}
	t := &InvokeTransport{Lambda: lc, Function: function, Stream: stream}
	// The URL only names the call in errors; requests never leave through
	// HTTP.
	return client.New("https://"+hostSafe(function)+".invoke.lambda", append(opts, client.WithTransport(t))...)
}

func hostSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return '-'
	}, s)
}

// InvokeTransport is an http.RoundTripper that delivers each request to a
// function through the Lambda Invoke APIs and turns its answer back into an
// HTTP response.
//
// The AWS SDK's event stream decoder shares a buffer between the streams
// of one lambda.Client (smithy-go v1.28.8), so streamed calls through one
// InvokeTransport run one at a time; give concurrent streams their own
// lambda.Client and Conn.
type InvokeTransport struct {
	Lambda   Invoker
	Function string
	Stream   bool

	streams sync.Mutex
}

// RoundTrip implements http.RoundTripper.
func (t *InvokeTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		body = b
	}
	now := time.Now().UTC()
	ev := events.NewV2Request(req, body, events.V2RequestContext{
		DomainName: req.URL.Host, Stage: "$default",
		Time: now.Format("02/Jan/2006:15:04:05 -0700"), TimeEpoch: now.UnixMilli(),
	})
	ev.Headers["host"] = req.URL.Host
	payload, err := json.Marshal(&ev)
	if err != nil {
		return nil, err
	}
	name, qualifier := splitQualifier(t.Function)
	if t.Stream {
		return t.stream(req, name, qualifier, payload)
	}
	out, err := t.Lambda.Invoke(req.Context(), &lambda.InvokeInput{FunctionName: aws.String(name), Qualifier: qualifier, Payload: payload})
	if err != nil {
		if resp := refusal(req, err); resp != nil {
			return resp, nil
		}
		return nil, invokeError(err)
	}
	if out.FunctionError != nil {
		return lambdaFailure(req, aws.ToString(out.FunctionError), out.Payload), nil
	}
	return bufferedResponse(req, out.Payload)
}

// splitQualifier separates "name:alias" but leaves ARNs, whose parts are
// colon-separated too, to Lambda.
func splitQualifier(f string) (string, *string) {
	if strings.HasPrefix(f, "arn:") {
		return f, nil
	}
	if name, q, ok := strings.Cut(f, ":"); ok {
		return name, aws.String(q)
	}
	return f, nil
}

// invokeError passes Lambda's API errors on, so the client's error says
// what Lambda refused.
func invokeError(err error) error {
	var throttled *types.TooManyRequestsException
	if errors.As(err, &throttled) {
		return fmt.Errorf("awsclient: Lambda throttled the invocation: %w", err)
	}
	return fmt.Errorf("awsclient: invoking the function: %w", err)
}

// refusal is the HTTP answer a Function URL would give for the Invoke
// API's refusal err (413, 429, 404...): its status, with Lambda's error
// type in X-Amzn-Errortype and its message in a JSON body, so the client
// reports it as it does a Function URL's, on every protocol. It is nil for
// an error without an HTTP status, such as a broken connection.
func refusal(req *http.Request, err error) *http.Response {
	var withStatus interface{ HTTPStatusCode() int }
	var api interface {
		ErrorCode() string
		ErrorMessage() string
	}
	if !errors.As(err, &withStatus) || !errors.As(err, &api) {
		return nil
	}
	code := withStatus.HTTPStatusCode()
	if code < 400 {
		return nil
	}
	body, _ := json.Marshal(map[string]string{"Message": api.ErrorMessage()})
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("X-Amzn-Errortype", api.ErrorCode())
	return &http.Response{StatusCode: code, Status: fmt.Sprintf("%d %s", code, http.StatusText(code)), Header: h,
		Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body)), Request: req, ProtoMajor: 1, ProtoMinor: 1}
}

// lambdaFailure is the HTTP answer a Function URL gives when the function
// fails: 502, marked as Lambda's, so the client reports UNAVAILABLE.
func lambdaFailure(req *http.Request, errType string, detail []byte) *http.Response {
	h := http.Header{}
	var er runtimeapi.ErrorResponse
	if json.Unmarshal(detail, &er) == nil && er.ErrorType != "" {
		errType = er.ErrorType
	}
	h.Set("X-Amzn-Errortype", errType)
	return &http.Response{StatusCode: http.StatusBadGateway, Status: "502 Bad Gateway", Header: h,
		Body: io.NopCloser(bytes.NewReader(detail)), Request: req, ProtoMajor: 1, ProtoMinor: 1}
}

// bufferedResponse decodes a payload 2.0 response document.
func bufferedResponse(req *http.Request, doc []byte) (*http.Response, error) {
	var r events.V2Response
	if err := json.Unmarshal(doc, &r); err != nil || r.StatusCode == 0 {
		return nil, fmt.Errorf("awsclient: the function's answer is not an HTTP response document (is it a lambdagrpc function?): %q", truncate(doc))
	}
	body := []byte(r.Body)
	if r.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(r.Body)
		if err != nil {
			return nil, fmt.Errorf("awsclient: the response body is not valid base64: %w", err)
		}
		body = b
	}
	h := make(http.Header, len(r.Headers)+1)
	for k, v := range r.Headers {
		h.Set(k, v)
	}
	for _, c := range r.Cookies {
		h.Add("Set-Cookie", c)
	}
	return &http.Response{StatusCode: r.StatusCode, Status: fmt.Sprintf("%d %s", r.StatusCode, http.StatusText(r.StatusCode)), Header: h,
		Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body)), Request: req, ProtoMajor: 1, ProtoMinor: 1}, nil
}

func truncate(b []byte) []byte {
	if len(b) > 200 {
		return b[:200]
	}
	return b
}

// stream calls InvokeWithResponseStream and hands the function's bytes to
// the client as they arrive.
func (t *InvokeTransport) stream(req *http.Request, name string, qualifier *string, payload []byte) (*http.Response, error) {
	t.streams.Lock()
	out, err := t.Lambda.InvokeWithResponseStream(req.Context(), &lambda.InvokeWithResponseStreamInput{FunctionName: aws.String(name), Qualifier: qualifier, Payload: payload})
	if err != nil {
		t.streams.Unlock()
		if resp := refusal(req, err); resp != nil {
			return resp, nil
		}
		return nil, invokeError(err)
	}
	es := out.GetStream()
	pr, pw := io.Pipe()
	done := make(chan struct{})
	// A caller that gives up without reading to the end (a cancelled
	// stream) must not leave the copy below blocked on the pipe, holding
	// the event stream and every later streamed call's turn.
	stop := context.AfterFunc(req.Context(), func() { _ = pr.CloseWithError(req.Context().Err()) })
	go func() {
		defer close(done)
		defer t.streams.Unlock()
		defer stop()
		defer func() { _ = es.Close() }()
		for ev := range es.Events() {
			switch v := ev.(type) {
			case *types.InvokeWithResponseStreamResponseEventMemberPayloadChunk:
				if _, err := pw.Write(v.Value.Payload); err != nil {
					return
				}
			case *types.InvokeWithResponseStreamResponseEventMemberInvokeComplete:
				if code := aws.ToString(v.Value.ErrorCode); code != "" {
					pw.CloseWithError(fmt.Errorf("awsclient: the function failed mid-stream: %s: %s", code, aws.ToString(v.Value.ErrorDetails)))
					return
				}
			}
		}
		if err := es.Err(); err != nil {
			pw.CloseWithError(err)
			return
		}
		pw.Close()
	}()
	if aws.ToString(out.ResponseStreamContentType) != runtimeapi.ContentTypeHTTPIntegration {
		// A function answering buffered: the stream holds one response
		// document.
		doc, err := io.ReadAll(pr)
		<-done
		if err != nil {
			return nil, err
		}
		return bufferedResponse(req, doc)
	}
	prelude, rest, err := events.ReadPrelude(pr)
	if err != nil {
		_ = pr.CloseWithError(err)
		<-done
		return nil, fmt.Errorf("awsclient: %w", err)
	}
	h := make(http.Header, len(prelude.Headers)+1)
	for k, v := range prelude.Headers {
		h.Set(k, v)
	}
	for k, vs := range prelude.MultiValueHeaders {
		h[http.CanonicalHeaderKey(k)] = vs
	}
	code := prelude.StatusCode
	if code == 0 {
		code = http.StatusOK
	}
	return &http.Response{StatusCode: code, Status: fmt.Sprintf("%d %s", code, http.StatusText(code)), Header: h,
		Body: &streamBody{r: io.MultiReader(bytes.NewReader(rest), pr), pr: pr, done: done}, ContentLength: -1, Request: req, ProtoMajor: 1, ProtoMinor: 1}, nil
}

// streamBody is a streamed response body whose Close waits for the event
// stream to be released.
type streamBody struct {
	r    io.Reader
	pr   *io.PipeReader
	done chan struct{}
}

func (b *streamBody) Read(p []byte) (int, error) { return b.r.Read(p) }

func (b *streamBody) Close() error {
	_ = b.pr.CloseWithError(errors.New("awsclient: response body closed"))
	<-b.done
	return nil
}
