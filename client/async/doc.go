// Package async sends unary gRPC calls as messages: to an SQS queue
// (NewQueue) or an SNS topic (NewTopic), for a lambdagrpc function that an
// event-source mapping or a subscription invokes with them.
//
//	q, err := async.NewQueue("https://sqs.eu-west-1.amazonaws.com/123456789012/orders")
//	if err != nil { ... }
//	_, err = pb.NewOrdersClient(q).Place(ctx, req) // returns once SQS has the message
//
// A *Queue and a *Topic are grpc.ClientConnInterface values, so generated
// stubs work unchanged, but a call is fire-and-forget: it returns as soon as
// SQS or SNS has accepted the message, the method runs later, and the reply
// is always an empty message (the one passed in, reset). The MessageID call
// option tells the message's ID. Streaming methods cannot be queued and end
// UNIMPLEMENTED.
//
// Each message carries, as message attributes:
//   - grpc-method: the full method name, "/package.Service/Method";
//   - content-type: "application/proto" (the default; the body is the
//     standard base64 of the request's protobuf bytes) or "application/json"
//     (WithJSON; the body is the request in protojson);
//   - each key of the call's outgoing metadata (metadata.NewOutgoingContext):
//     a String attribute with the values joined by ", ", or, for a key
//     ending in "-bin", a Binary attribute with the key's single value.
//
// SQS and SNS allow 10 attributes a message, so a call may carry 8
// metadata keys; more end INVALID_ARGUMENT before anything is sent, as do
// keys and values the function would refuse (protocol headers such as
// grpc-* and content-*, values that are not printable ASCII).
//
// FIFO queues and topics (names ending in ".fifo") need a message group ID
// for each message (WithMessageGroupID) and a deduplication ID unless
// content-based deduplication is on (WithDeduplicationID).
//
// Errors are gRPC statuses: the call's context ending is DEADLINE_EXCEEDED
// or CANCELED, a missing queue or topic NOT_FOUND, refused credentials
// UNAUTHENTICATED or PERMISSION_DENIED, throttling and unreachable
// endpoints UNAVAILABLE, a rejected message INVALID_ARGUMENT.
//
// The package is apart from package client so that programs calling
// functions over HTTP do not link the SQS and SNS SDKs.
package async
