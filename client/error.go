package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/lambdagrpc/lambdagrpc/internal/wire"
)

// MessageTooLargeError is the error of a call whose response message
// exceeds the receive limit (WithMaxRecvMsgSize, grpc.MaxCallRecvMsgSize).
// It is a RESOURCE_EXHAUSTED status, worded as grpc-go's; errors.As tells
// it from the same code sent by the server, as the bridge does to name its
// own limit.
type MessageTooLargeError struct {
	// Size is the message's size in bytes, or as many as were read when
	// the limit stopped reading it (more than Limit either way); -1 when
	// only its decompression found it too large.
	Size int
	// Limit is the receive limit that refused it.
	Limit int
}

// GRPCStatus returns the error's status, for status.FromError and
// status.Code.
func (e *MessageTooLargeError) GRPCStatus() *status.Status {
	if e.Size < 0 {
		return status.Newf(codes.ResourceExhausted, "received message after decompression larger than max (%d)", e.Limit)
	}
	return status.Newf(codes.ResourceExhausted, "received message larger than max (%d vs. %d)", e.Size, e.Limit)
}

// Error returns the status's text, as a status error's Error does.
func (e *MessageTooLargeError) Error() string { return e.GRPCStatus().Err().Error() }

// HTTPError is the error of a call answered over HTTP without a gRPC
// status: by Lambda itself (a front door's or the Invoke API's refusal, a
// failed function) or by a server that is not gRPC-Web or Connect. It is a
// status error (GRPCStatus) whose code says what happened, such as
// RESOURCE_EXHAUSTED for Lambda's 413 and 429. errors.As tells it from a
// status the server sent, as the bridge does to keep the answer's own
// words, which may name internal resources, from its callers.
type HTTPError struct {
	// StatusCode is the HTTP status.
	StatusCode int
	// LambdaType is Lambda's error type (X-Amzn-Errortype, or
	// X-Amz-Function-Error), or "" when Lambda did not answer.
	LambdaType string
	// Summary says what happened and what to do about it, in this
	// package's words only.
	Summary string
	// Detail is the answer's own words (Lambda's message, or the start of
	// the body), which may name internal resources such as the function's
	// ARN; "" when there are none.
	Detail string

	code   codes.Code
	lambda bool // Lambda answered, with or without an error type
}

// GRPCStatus returns the error's status, for status.FromError and
// status.Code: its message is Summary with Detail.
func (e *HTTPError) GRPCStatus() *status.Status {
	return status.New(e.code, e.message(true))
}

// Redacted returns the error's status without Detail, for callers who
// must not learn internal resources (the bridge's): the code and Summary,
// with Lambda's error type, which names no resource.
func (e *HTTPError) Redacted() *status.Status {
	return status.New(e.code, e.message(false))
}

func (e *HTTPError) message(detail bool) string {
	if !e.lambda {
		if detail {
			return fmt.Sprintf("%s: %q", e.Summary, e.Detail)
		}
		return e.Summary
	}
	switch {
	case detail && e.LambdaType != "" && e.Detail != "":
		return e.Summary + " (" + e.LambdaType + ": " + e.Detail + ")"
	case e.LambdaType != "":
		return e.Summary + " (" + e.LambdaType + ")"
	case detail && e.Detail != "":
		return e.Summary + " (" + e.Detail + ")"
	}
	return e.Summary
}

// Error returns the status's text with Detail: the client's own callers
// may see the answer's words; a bridge uses Redacted instead.
func (e *HTTPError) Error() string { return e.GRPCStatus().Err().Error() }

// IsWireError reports whether err is a status the server sent: decoded
// from gRPC-Web trailers (or a trailers-only answer's headers), a Connect
// error body or a Connect end-of-stream message, as connect-go's function
// of the same name tells. It is false for every error the client made
// itself (a refused or cut connection, a malformed answer, a receive limit,
// the context's end) and for HTTPError: their messages may quote the
// transport or Lambda, such as addresses or the function's ARN. The bridge
// passes wire errors on as they are, and only those.
func IsWireError(err error) bool {
	var we *wireError
	return errors.As(err, &we)
}

// wireError is a status the server sent; IsWireError tells it from the
// client's own errors, which are plain status errors.
type wireError struct{ st *status.Status }

// GRPCStatus returns the status the server sent.
func (e *wireError) GRPCStatus() *status.Status { return e.st }

// Error returns the status's text.
func (e *wireError) Error() string { return e.st.Err().Error() }

// Is compares as the status's own error does, so errors.Is against a
// status error keeps working.
func (e *wireError) Is(target error) bool { return errors.Is(e.st.Err(), target) }

// lambdaAnswered reports whether Lambda itself produced resp, rather than
// the function: a front door's error (X-Amzn-Errortype on a failure
// status) or a function error reported by the Invoke API
// (X-Amz-Function-Error, whatever the status). The headers are looked up
// by their canonical keys, so the common answer costs two map lookups.
func lambdaAnswered(resp *http.Response) bool {
	if len(resp.Header["X-Amz-Function-Error"]) > 0 {
		return true
	}
	return resp.StatusCode != http.StatusOK && len(resp.Header["X-Amzn-Errortype"]) > 0
}

// httpError explains an HTTP answer that carries no gRPC status, naming
// Lambda when one of its front doors produced it.
func httpError(resp *http.Response) error {
	code := wire.CodeFromHTTP(resp.StatusCode)
	errType := resp.Header.Get("X-Amzn-Errortype")
	funcErr := resp.Header.Get("X-Amz-Function-Error")
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if errType != "" || funcErr != "" || resp.Header.Get("X-Amzn-Requestid") != "" {
		var detail string
		switch {
		case funcErr != "":
			code = codes.Unavailable
			detail = "the function failed; see its logs"
			if errType == "" {
				errType = funcErr
			}
		case resp.StatusCode == http.StatusTooManyRequests:
			code = codes.ResourceExhausted
			detail = "Lambda throttled the call (its concurrency is exhausted); retry later"
		case resp.StatusCode == http.StatusRequestEntityTooLarge:
			code = codes.ResourceExhausted
			switch {
			case strings.Contains(errType, "Request"):
				detail = "the request exceeded Lambda's invocation payload limit (6 MB of event, in which a binary body grows by a third as base64); send less"
			case strings.Contains(errType, "Response"):
				detail = "the response exceeded Lambda's buffered payload limit (6,291,556 bytes); send less, or run the function in RESPONSE_STREAM mode behind a streaming Function URL"
			default:
				detail = "the request or response exceeded Lambda's payload limit"
			}
		case resp.StatusCode == http.StatusBadGateway:
			code = codes.Unavailable
			detail = "the function failed, timed out or answered something Lambda could not use; see its logs"
		case resp.StatusCode == http.StatusForbidden:
			code = codes.PermissionDenied
			detail = "Lambda refused the call (auth type or resource policy)"
		case resp.StatusCode == http.StatusNotFound && errType == "ResourceNotFoundException":
			code = codes.NotFound
			detail = "no such function, version or alias"
		default:
			detail = http.StatusText(resp.StatusCode)
		}
		msg := lambdaMessage(b)
		if msg == "" && errType == "" {
			msg = strings.TrimSpace(string(b))
		}
		return &HTTPError{StatusCode: resp.StatusCode, LambdaType: errType, code: code, lambda: true,
			Summary: fmt.Sprintf("Lambda answered HTTP %d: %s", resp.StatusCode, detail), Detail: msg}
	}
	return &HTTPError{StatusCode: resp.StatusCode, code: code,
		Summary: fmt.Sprintf("HTTP %d %s without a gRPC status", resp.StatusCode, http.StatusText(resp.StatusCode)),
		Detail:  strings.TrimSpace(string(b))}
}

// lambdaMessage is the message of one of Lambda's JSON error bodies:
// {"Message"} from a Function URL, {"message"} from API Gateway,
// {"errorMessage"} from the Invoke API.
func lambdaMessage(body []byte) string {
	var e struct {
		Message      string `json:"message"` // matches "Message" too
		ErrorMessage string `json:"errorMessage"`
	}
	if json.Unmarshal(body, &e) != nil {
		return ""
	}
	if e.ErrorMessage != "" {
		return e.ErrorMessage
	}
	return e.Message
}
