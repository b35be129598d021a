package client

import (
	"context"
	"net/http"
	"strings"

	"google.golang.org/grpc/metadata"

	"github.com/lambdagrpc/lambdagrpc/internal/wire"
)

// headerMD converts response headers to metadata, leaving out the
// protocols' own.
func headerMD(h http.Header) metadata.MD {
	md := make(metadata.MD, len(h))
	for k, vs := range h {
		lk := strings.ToLower(k)
		if wire.IsProtocolHeader(lk) || wire.IsHopHeader(lk) || strings.HasPrefix(lk, "trailer-") || lk == "date" {
			continue
		}
		md[lk] = decodeValues(lk, vs)
	}
	return md
}

func decodeValues(lk string, vs []string) []string {
	if !wire.IsBinaryKey(lk) {
		return vs
	}
	out := make([]string, 0, len(vs))
	for _, v := range wire.SplitBinary(vs) {
		if b, err := wire.DecodeBinary(v); err == nil {
			out = append(out, string(b))
		}
	}
	return out
}

// addMetadata adds ctx's outgoing metadata to a request's headers h,
// leaving out that of HTTP and of the protocols.
func addMetadata(h http.Header, ctx context.Context) {
	md, _ := metadata.FromOutgoingContext(ctx)
	for k, vs := range md {
		lk := strings.ToLower(k)
		if wire.IsHopHeader(lk) || wire.IsProtocolHeader(lk) {
			continue
		}
		for _, v := range vs {
			h.Add(k, wire.EncodeValue(lk, v))
		}
	}
}
