package dispatch

import (
	"fmt"
	"reflect"
	"slices"

	"google.golang.org/grpc"
)

// The direct path and the panic recovery read and write unexported fields of
// grpc.Server. They trust a server only when each of its fields, and each of
// its options', has a name and type listed here: the fields of the grpc-go
// release in go.mod, which the tests run both paths against. A field that a
// later release adds, renames or retypes may carry a feature the direct path
// would silently skip, so any field not listed sends every call through
// ServeHTTP instead. TestAllowListIsComplete fails when go.mod's grpc-go
// differs from the lists, so an upgrade forces a review of each new field:
// does the direct path have to honour it, or can it ignore it?

// serverFields are grpc.Server's fields. Those the direct path honours say
// how; the rest only matter to grpc-go's own transport.
var serverFields = []listed{
	{"opts", "grpc.serverOptions"},                             // below
	{"statsHandler", "stats.Handler"},                          // called as ServeHTTP calls it
	{"mu", "sync.Mutex"},                                       // guards services, conns, drain
	{"lis", "map[net.Listener]bool"},                           // transport
	{"conns", "map[string]map[transport.ServerTransport]bool"}, // nil once stopped
	{"serve", "bool"},                                          // transport
	{"drain", "bool"},                                          // stopping: calls are refused
	{"cv", "*sync.Cond"},                                       // transport
	{"services", "map[string]*grpc.serviceInfo"},               // the handlers
	{"events", "grpc.traceEventLog"},                           // x/net/trace: the direct path refuses EnableTracing
	{"quit", "*grpcsync.Event"},                                // transport
	{"done", "*grpcsync.Event"},                                // transport
	{"channelzRemoveOnce", "sync.Once"},                        // transport
	{"serveWG", "sync.WaitGroup"},                              // transport
	{"handlersWG", "sync.WaitGroup"},                           // WaitForHandlers: ServeHTTP does not count its handlers either
	{"channelz", "*channelz.Server"},                           // call counters
	{"serverWorkerChannel", "chan func()"},                     // transport
	{"serverWorkerChannelClose", "func()"},                     // transport
}

// optionFields are the fields of grpc.Server's options.
var optionFields = []listed{
	{"creds", "credentials.TransportCredentials"},                           // transport
	{"codec", "grpc.baseCodec"},                                             // ForceServerCodec: used
	{"cp", "grpc.Compressor"},                                               // must be unset
	{"dc", "grpc.Decompressor"},                                             // must be unset
	{"unaryInt", "grpc.UnaryServerInterceptor"},                             // the chained unary interceptors, run by the method's handler
	{"streamInt", "grpc.StreamServerInterceptor"},                           // the chained stream interceptors: run
	{"chainUnaryInts", "[]grpc.UnaryServerInterceptor"},                     // folded into unaryInt by NewServer
	{"chainStreamInts", "[]grpc.StreamServerInterceptor"},                   // folded into streamInt by NewServer
	{"binaryLogger", "binarylog.Logger"},                                    // must be unset
	{"inTapHandle", "tap.ServerInHandle"},                                   // grpc-go's ServeHTTP does not run it either
	{"statsHandlers", "[]stats.Handler"},                                    // folded into statsHandler; grpc-go's own are refused
	{"maxConcurrentStreams", "uint32"},                                      // transport
	{"maxReceiveMessageSize", "int"},                                        // enforced
	{"maxSendMessageSize", "int"},                                           // enforced
	{"unknownStreamDesc", "*grpc.StreamDesc"},                               // UnknownServiceHandler: used
	{"keepaliveParams", "keepalive.ServerParameters"},                       // transport
	{"keepalivePolicy", "keepalive.EnforcementPolicy"},                      // transport
	{"initialWindowSize", "int32"},                                          // transport
	{"initialConnWindowSize", "int32"},                                      // transport
	{"writeBufferSize", "int"},                                              // transport
	{"readBufferSize", "int"},                                               // transport
	{"sharedWriteBuffer", "bool"},                                           // transport
	{"connectionTimeout", "time.Duration"},                                  // transport
	{"maxHeaderListSize", "*uint32"},                                        // transport
	{"headerTableSize", "*uint32"},                                          // transport
	{"numServerWorkers", "uint32"},                                          // transport
	{"bufferPool", "mem.BufferPool"},                                        // transport
	{"waitForHandlers", "bool"},                                             // Stop: as for ServeHTTP
	{"staticWindowSize", "bool"},                                            // transport
	{"streamWrapper", "func(grpc.ServerStream) (grpc.ServerStream, error)"}, // must be unset
}

// listed is a field's name and its type as reflect prints it. The lists
// are slices, not maps, so that they are static data with no code to build
// them.
type listed struct{ name, typ string }

// checkShape returns "" if every field of s and of its options is on the
// allow-lists, else which is not.
func checkShape(s *grpc.Server) string {
	sv := reflect.ValueOf(s).Elem()
	if why := unlisted(sv.Type(), serverFields); why != "" {
		return why
	}
	opts := sv.FieldByName("opts")
	if !opts.IsValid() {
		return "grpc.Server has no opts field"
	}
	return unlisted(opts.Type(), optionFields)
}

// unlisted names the first field of t whose name and type are not on list.
func unlisted(t reflect.Type, list []listed) string {
	if t.Kind() != reflect.Struct {
		return fmt.Sprintf("grpc.Server's options are a %v, not a struct", t)
	}
	for i := range t.NumField() {
		f := t.Field(i)
		if !slices.Contains(list, listed{f.Name, f.Type.String()}) {
			return fmt.Sprintf("%s has a field lambdagrpc was not tested with: %s %s", t, f.Name, f.Type)
		}
	}
	return ""
}
