package client

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/lambdagrpc/lambdagrpc/internal/wire"
)

// connectUnaryProtocol is Connect's unary protocol: one bare message each
// way, by POST or (WithConnectGET, for methods without side effects) GET
// with the message in the query; the status is the HTTP status and, on
// error, a JSON body, and the trailers are Trailer- headers. The answer is
// not framed: a stream's end (endFlag, endName, end) is Connect
// streaming's, which it embeds.
type connectUnaryProtocol struct{ connectStreaming }

var connectUnary wireFormat = connectUnaryProtocol{}

func (connectUnaryProtocol) framed() bool { return false }

func (connectUnaryProtocol) allowsGET() bool { return true }

func (connectUnaryProtocol) target(s *clientStream, u string) (string, string, io.Reader) {
	if !s.c.useGET || wire.MethodIdempotency(s.method) != wire.NoSideEffects {
		return http.MethodPost, u, nil
	}
	// The order the Connect spec recommends, so caches see one key.
	q := "connect=v1&base64=1"
	if s.comp != "" {
		q += "&compression=" + url.QueryEscape(s.comp)
	}
	q += "&encoding=" + url.QueryEscape(s.subtype) + "&message=" + base64.RawURLEncoding.EncodeToString(s.body)
	return http.MethodGet, u + "?" + q, nil
}

func (connectUnaryProtocol) header(s *clientStream, h http.Header, method string, timeout time.Duration) {
	setConnectHeaders(h, timeout)
	if method == http.MethodPost {
		// A GET's message, and its compression, are in the query.
		h.Set("Content-Type", "application/"+s.subtype)
		if s.comp != "" {
			h.Set("Content-Encoding", s.comp)
		}
	}
	h.Set("Accept-Encoding", "gzip")
}

func (connectUnaryProtocol) head(s *clientStream, resp *http.Response, ct string) {
	defer resp.Body.Close()
	trailer := make(http.Header)
	for k, vs := range resp.Header {
		if t, ok := strings.CutPrefix(k, "Trailer-"); ok {
			trailer[t] = vs
		}
	}
	if resp.StatusCode != http.StatusOK {
		if strings.HasPrefix(ct, "application/json") {
			st, fromServer := connectErrorStatus(resp)
			s.finish(st, trailer, fromServer)
		} else {
			s.fail(httpError(resp))
		}
		return
	}
	if !strings.HasPrefix(ct, "application/"+s.subtype) {
		s.fail(status.Errorf(contentTypeCode(ct, "application/"), "the server answered with content type %q, not application/%s", ct, s.subtype))
		return
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, int64(s.maxRecv)+1))
	if err != nil {
		s.fail(statusError(ctxErr(s.ctx, err)))
		return
	}
	if enc := resp.Header.Get("Content-Encoding"); enc != "" && enc != "identity" {
		if b, err = decompress(enc, b, s.maxRecv); err != nil {
			s.fail(err)
			return
		}
	}
	if len(b) > s.maxRecv {
		size := len(b) // the limit+1 bytes read
		if resp.ContentLength > int64(size) && resp.Header.Get("Content-Encoding") == "" {
			size = int(min(resp.ContentLength, math.MaxInt))
		}
		s.fail(&MessageTooLargeError{Size: size, Limit: s.maxRecv})
		return
	}
	s.unaryMsg, s.unaryOK = b, true
	s.finish(status.New(codes.OK, ""), trailer, true)
}

// connectErrorStatus reads a Connect error body; fromServer is false when
// the status is the client's own, describing a body it could not read.
func connectErrorStatus(resp *http.Response) (st *status.Status, fromServer bool) {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if enc := resp.Header.Get("Content-Encoding"); enc != "" && enc != "identity" {
		var err error
		if b, err = decompress(enc, b, 1<<20); err != nil {
			return status.Convert(err), false
		}
	}
	fromHTTP := wire.CodeFromHTTP(resp.StatusCode)
	var ce wire.ConnectError
	if err := json.Unmarshal(b, &ce); err != nil {
		return status.New(fromHTTP, fmt.Sprintf("HTTP %d with an unreadable Connect error body", resp.StatusCode)), false
	}
	if _, ok := wire.ParseConnectCode(ce.Code); !ok {
		// A missing or unknown code: the HTTP status is the better guide.
		ce.Code = wire.ConnectCodeName(fromHTTP)
	}
	st, err := ce.Status()
	if err != nil {
		return status.New(codes.Internal, "malformed Connect error details: "+err.Error()), false
	}
	return st, true
}
