package lambdagrpc

import "github.com/lambdagrpc/lambdagrpc/internal/jsoncodec"

// Connect's application/json and gRPC-Web's +json need a codec named
// "json" in grpc-go's registry, which has none by default. It is registered
// only if none is: a program's own "json" codec wins whether its init runs
// before this one or after (internal/jsoncodec/usercodec tests both).
func init() { jsoncodec.Register() }
