package client

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/lambdagrpc/lambdagrpc/internal/wire"
)

// connectStreaming is Connect's streaming protocol: framed messages both
// ways, its timeout and compression in Connect's own headers, and the
// status and trailers in a final JSON frame (or, for an error before the
// stream starts, a JSON error body).
type connectStreaming struct{}

var connectStream wireFormat = connectStreaming{}

func (connectStreaming) framed() bool { return true }

func (connectStreaming) allowsGET() bool { return false }

func (connectStreaming) target(_ *clientStream, u string) (string, string, io.Reader) {
	return http.MethodPost, u, nil
}

func (connectStreaming) header(s *clientStream, h http.Header, _ string, timeout time.Duration) {
	setConnectHeaders(h, timeout)
	h.Set("Content-Type", "application/connect+"+s.subtype)
	h.Set("Connect-Accept-Encoding", "gzip")
	if s.comp != "" {
		h.Set("Connect-Content-Encoding", s.comp)
	}
}

// setConnectHeaders sets the headers of every Connect request.
func setConnectHeaders(h http.Header, timeout time.Duration) {
	h.Set("Connect-Protocol-Version", "1")
	if timeout > 0 {
		h.Set("Connect-Timeout-Ms", wire.FormatConnectTimeout(timeout))
	}
}

func (connectStreaming) head(s *clientStream, resp *http.Response, ct string) {
	if resp.StatusCode != http.StatusOK {
		if strings.HasPrefix(ct, "application/json") {
			st, fromServer := connectErrorStatus(resp)
			s.finish(st, nil, fromServer)
		} else {
			s.fail(httpError(resp))
		}
		resp.Body.Close()
		return
	}
	if !s.expectContentType(resp, ct, "application/connect+") {
		return
	}
	s.readFrames(resp.Body, resp.ContentLength, resp.Header.Get("Connect-Content-Encoding"))
}

func (connectStreaming) endFlag() byte { return wire.FlagConnectEndStream }

func (connectStreaming) endName() string { return "a Connect end-of-stream message" }

func (connectStreaming) end(s *clientStream, payload []byte) {
	s.finish(endStream(payload))
}

// endStream reads a Connect end-of-stream message; fromServer is false
// when the status is the client's own, describing a malformed message.
func endStream(payload []byte) (st *status.Status, trailer http.Header, fromServer bool) {
	var es wire.EndStream
	if err := json.Unmarshal(payload, &es); err != nil {
		return status.New(codes.Internal, "malformed Connect end-of-stream message: "+err.Error()), nil, false
	}
	h := http.Header(es.Metadata)
	if es.Error == nil {
		return status.New(codes.OK, ""), h, true
	}
	st, err := es.Error.Status()
	if err != nil {
		return status.New(codes.Internal, "malformed Connect error details: "+err.Error()), h, false
	}
	return st, h, true
}
