package wire

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
)

var connectNames = [...]string{
	codes.OK:                 "ok",
	codes.Canceled:           "canceled",
	codes.Unknown:            "unknown",
	codes.InvalidArgument:    "invalid_argument",
	codes.DeadlineExceeded:   "deadline_exceeded",
	codes.NotFound:           "not_found",
	codes.AlreadyExists:      "already_exists",
	codes.PermissionDenied:   "permission_denied",
	codes.ResourceExhausted:  "resource_exhausted",
	codes.FailedPrecondition: "failed_precondition",
	codes.Aborted:            "aborted",
	codes.OutOfRange:         "out_of_range",
	codes.Unimplemented:      "unimplemented",
	codes.Internal:           "internal",
	codes.Unavailable:        "unavailable",
	codes.DataLoss:           "data_loss",
	codes.Unauthenticated:    "unauthenticated",
}

var connectHTTP = [...]int{
	codes.OK:                 http.StatusOK,
	codes.Canceled:           499,
	codes.Unknown:            http.StatusInternalServerError,
	codes.InvalidArgument:    http.StatusBadRequest,
	codes.DeadlineExceeded:   http.StatusGatewayTimeout,
	codes.NotFound:           http.StatusNotFound,
	codes.AlreadyExists:      http.StatusConflict,
	codes.PermissionDenied:   http.StatusForbidden,
	codes.ResourceExhausted:  http.StatusTooManyRequests,
	codes.FailedPrecondition: http.StatusBadRequest,
	codes.Aborted:            http.StatusConflict,
	codes.OutOfRange:         http.StatusBadRequest,
	codes.Unimplemented:      http.StatusNotImplemented,
	codes.Internal:           http.StatusInternalServerError,
	codes.Unavailable:        http.StatusServiceUnavailable,
	codes.DataLoss:           http.StatusInternalServerError,
	codes.Unauthenticated:    http.StatusUnauthorized,
}

// ConnectCodeName returns the Connect name of c ("not_found"); codes outside
// the standard range are "unknown".
func ConnectCodeName(c codes.Code) string {
	if int(c) < len(connectNames) {
		return connectNames[c]
	}
	return "unknown"
}

// ParseConnectCode reverses ConnectCodeName.
func ParseConnectCode(name string) (codes.Code, bool) {
	for c, n := range connectNames {
		if n == name && c != int(codes.OK) {
			return codes.Code(c), true
		}
	}
	return codes.Unknown, false
}

// ConnectHTTPStatus is the HTTP status of a Connect unary error with code c.
func ConnectHTTPStatus(c codes.Code) int {
	if int(c) < len(connectHTTP) {
		return connectHTTP[c]
	}
	return http.StatusInternalServerError
}

// CodeFromHTTP maps an HTTP status that arrived without a gRPC status to a
// code, by the table the gRPC and Connect specs share.
func CodeFromHTTP(httpStatus int) codes.Code {
	switch httpStatus {
	case http.StatusBadRequest:
		return codes.Internal
	case http.StatusUnauthorized:
		return codes.Unauthenticated
	case http.StatusForbidden:
		return codes.PermissionDenied
	case http.StatusNotFound:
		return codes.Unimplemented
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return codes.Unavailable
	}
	return codes.Unknown
}

// StatusFromHeader reads grpc-status, grpc-message and
// grpc-status-details-bin from h. It returns ok false when h carries no
// grpc-status.
func StatusFromHeader(h http.Header) (st *status.Status, ok bool, err error) {
	raw := h.Get("Grpc-Status")
	if raw == "" {
		return nil, false, nil
	}
	code, perr := strconv.ParseUint(raw, 10, 32)
	if perr != nil {
		return status.New(codes.Internal, fmt.Sprintf("malformed grpc-status %q", raw)), true, fmt.Errorf("malformed grpc-status %q", raw)
	}
	msg := DecodeMessage(h.Get("Grpc-Message"))
	if d := h.Get("Grpc-Status-Details-Bin"); d != "" {
		b, derr := DecodeBinary(d)
		if derr != nil {
			return status.New(codes.Internal, "malformed grpc-status-details-bin"), true, fmt.Errorf("malformed grpc-status-details-bin: %w", derr)
		}
		var p spb.Status
		if uerr := proto.Unmarshal(b, &p); uerr != nil {
			return status.New(codes.Internal, "malformed grpc-status-details-bin"), true, fmt.Errorf("malformed grpc-status-details-bin: %w", uerr)
		}
		// The header's code and message are authoritative.
		p.Code, p.Message = int32(code), msg
		return status.FromProto(&p), true, nil
	}
	return status.New(codes.Code(code), msg), true, nil
}

// SetStatusHeader writes st into h as grpc-status, grpc-message and
// grpc-status-details-bin.
func SetStatusHeader(h http.Header, st *status.Status) {
	h.Set("Grpc-Status", strconv.Itoa(int(st.Code())))
	if m := st.Message(); m != "" {
		h.Set("Grpc-Message", EncodeMessage(m))
	} else {
		h.Del("Grpc-Message")
	}
	if p := st.Proto(); len(p.GetDetails()) > 0 {
		if b, err := proto.Marshal(p); err == nil {
			h.Set("Grpc-Status-Details-Bin", EncodeBinary(b))
		}
	} else {
		h.Del("Grpc-Status-Details-Bin")
	}
}

// ConnectError is the JSON body of a Connect unary error and the error of a
// Connect end-of-stream message.
type ConnectError struct {
	Code    string          `json:"code"`
	Message string          `json:"message,omitempty"`
	Details []ConnectDetail `json:"details,omitempty"`
}

// ConnectDetail is one error detail: a protobuf message's fully-qualified
// type name and its binary encoding in base64.
type ConnectDetail struct {
	Type  string          `json:"type"`
	Value string          `json:"value"`
	Debug json.RawMessage `json:"debug,omitempty"`
}

// NewConnectError converts st (which must not be OK).
func NewConnectError(st *status.Status) *ConnectError {
	e := &ConnectError{Code: ConnectCodeName(st.Code()), Message: st.Message()}
	for _, d := range st.Proto().GetDetails() {
		name := d.GetTypeUrl()
		if i := strings.LastIndexByte(name, '/'); i >= 0 {
			name = name[i+1:]
		}
		e.Details = append(e.Details, ConnectDetail{Type: name, Value: base64.RawStdEncoding.EncodeToString(d.GetValue())})
	}
	return e
}

// Status converts e back. An unknown code name becomes UNKNOWN, as the
// Connect spec asks.
func (e *ConnectError) Status() (*status.Status, error) {
	code, ok := ParseConnectCode(e.Code)
	if !ok {
		code = codes.Unknown
	}
	p := &spb.Status{Code: int32(code), Message: e.Message}
	for _, d := range e.Details {
		v, err := decodeLenientBase64(d.Value)
		if err != nil {
			return nil, fmt.Errorf("connect error detail %q: %w", d.Type, err)
		}
		p.Details = append(p.Details, &anypb.Any{TypeUrl: "type.googleapis.com/" + d.Type, Value: v})
	}
	return status.FromProto(p), nil
}

func decodeLenientBase64(s string) ([]byte, error) {
	return DecodeBinary(s)
}

// EndStream is the JSON payload of a Connect end-of-stream message.
type EndStream struct {
	Error    *ConnectError       `json:"error,omitempty"`
	Metadata map[string][]string `json:"metadata,omitempty"`
}
