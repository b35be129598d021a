package client

import (
	"io"
	"net/http"
	"time"
)

// Protocol is the wire protocol a Conn speaks.
type Protocol int

const (
	// GRPCWeb is binary gRPC-Web (application/grpc-web+proto), the default.
	GRPCWeb Protocol = iota
	// GRPCWebText is base64 gRPC-Web (application/grpc-web-text).
	GRPCWebText
	// Connect is the Connect protocol: unary calls as plain HTTP, streams
	// with enveloped messages.
	Connect
)

// protocols maps each Protocol to its name and its wire formats: that of
// its unary calls and that of its streams. It is the only place that
// tells the protocols apart: each wire format is one file (grpcweb.go,
// connectunary.go, connectstream.go), and the rest of the package reaches
// them only through a stream's wireFormat.
var protocols = [...]struct {
	name          string
	unary, stream wireFormat
}{
	GRPCWeb:     {"gRPC-Web", web, web},
	GRPCWebText: {"gRPC-Web text", webText, webText},
	Connect:     {"Connect", connectUnary, connectStream},
}

// String returns the protocol's name, as errors and logs print it.
func (p Protocol) String() string {
	if p < 0 || int(p) >= len(protocols) {
		return "unknown"
	}
	return protocols[p].name
}

// wireFormats returns p's wire formats, for unary calls and for streams;
// ok is false for a value that names no protocol.
func (p Protocol) wireFormats() (unary, stream wireFormat, ok bool) {
	if p < 0 || int(p) >= len(protocols) {
		return nil, nil, false
	}
	return protocols[p].unary, protocols[p].stream, true
}

// wireFormat is one protocol as the client speaks it. A call's stream
// builds its request, reads the response's frames and records its status
// itself; its wire format says how each is written on the wire.
type wireFormat interface {
	// framed reports whether request messages are framed; false for a
	// single bare message (a Connect unary call's).
	framed() bool
	// allowsGET reports whether calls without side effects may use GET
	// (WithConnectGET).
	allowsGET() bool
	// target returns the request's HTTP method and URL, u or u with a
	// query. body is the request body when the protocol encodes s.body
	// (text mode); nil when s.body goes out as it is, or, for GET, not at
	// all.
	target(s *clientStream, u string) (method, url string, body io.Reader)
	// header sets the protocol's request headers in h: content type,
	// timeout (when timeout > 0), compression. method is target's.
	header(s *clientStream, h http.Header, method string, timeout time.Duration)
	// head reads the head of a response that the function (not Lambda)
	// produced, ct being its content type in lower case: it ends the call
	// (s.finish, s.fail) or readies s.frames, s.respComp and, for a
	// status in the headers, s.headerStatus; a unary answer read whole
	// goes in s.unaryMsg.
	head(s *clientStream, resp *http.Response, ct string)
	// endFlag is the flag of the frame that ends a response stream.
	endFlag() byte
	// endName names that frame, for a stream that ends without it.
	endName() string
	// end reads that frame's payload (decompressed) and ends the call
	// with its status and trailers (s.finish), or fails it (s.fail).
	end(s *clientStream, payload []byte)
}
