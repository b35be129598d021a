package lambdagrpc

import "github.com/lambdagrpc/lambdagrpc/internal/jsoncodec"

// Connect's application/json and gRPC-Web's +json need a codec named
// "json" in grpc-go's registry, which has none by default. A codec the
// program registers itself under that name takes its place (registration in
// a later init wins).
func init() { jsoncodec.Register() }
