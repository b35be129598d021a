package protocol

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/lambdagrpc/lambdagrpc/internal/wire"
)

// connectStreaming is Connect's streaming protocol: gRPC's frames, its
// timeout and compression in Connect's own headers, and the status and
// trailers in a final JSON frame.
type connectStreaming struct{}

var connectStream wireFormat = &connectStreaming{}

func (*connectStreaming) String() string { return "Connect streaming" }

func (*connectStreaming) match(r *http.Request, ct string) (string, bool) {
	if r.Method == http.MethodGet {
		return "", false
	}
	return strings.CutPrefix(ct, "application/connect+")
}

func (*connectStreaming) allowsGET() bool { return false }

func (*connectStreaming) timeout(r *http.Request) (time.Duration, *status.Status) {
	return connectTimeout(r)
}

func (*connectStreaming) encodings(r *http.Request) (enc, accept string) {
	return r.Header.Get("Connect-Content-Encoding"), r.Header.Get("Connect-Accept-Encoding")
}

func (*connectStreaming) openBody(*Conn) *status.Status { return nil }

func (*connectStreaming) commit(c *Conn) {
	if c.committed {
		return
	}
	c.committed = true
	c.writeHeaders(c.w.Header(), "application/connect+"+c.codec, "Connect-Content-Encoding")
	c.w.WriteHeader(http.StatusOK)
}

func (*connectStreaming) write(c *Conn, p []byte) error { return c.writeFrame(p) }

func (p *connectStreaming) flush(c *Conn) {
	p.commit(c)
	flush(c.w)
}

func (p *connectStreaming) end(c *Conn, st *status.Status) {
	p.commit(c)
	es := wire.EndStream{Metadata: metadataMap(c.trailers(st))}
	if st.Code() != codes.OK {
		es.Error = wire.NewConnectError(st)
	}
	payload, _ := json.Marshal(&es)
	c.writeBody(wire.AppendFrame(nil, wire.FlagConnectEndStream, payload))
}

// connectTimeout parses a connect-timeout-ms header; -1 for none.
func connectTimeout(r *http.Request) (time.Duration, *status.Status) {
	v := r.Header.Get("Connect-Timeout-Ms")
	if v == "" {
		return -1, nil
	}
	d, err := wire.ParseConnectTimeout(v)
	if err != nil {
		return 0, status.Newf(codes.InvalidArgument, "invalid connect-timeout-ms %q: %v", v, err)
	}
	return d, nil
}

func metadataMap(h http.Header) map[string][]string {
	if len(h) == 0 {
		return nil
	}
	m := make(map[string][]string, len(h))
	for k, vs := range h {
		m[strings.ToLower(k)] = vs
	}
	return m
}
