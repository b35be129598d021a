// Package eventsource answers the events Lambda invokes a function with.
//
// A source is one kind of event (registry.go lists them). The HTTP events
// of Lambda's front doors are one source (httpsource.go): they become HTTP
// requests for an [http.Handler], and its answers become the responses
// each front door expects, buffered or streamed. Each shape of HTTP event
// is a type of its own behind the shape interface, in a file of its own:
// Function URL and HTTP API payload 2.0 (functionurl.go), REST API and
// HTTP API payload 1.0 (apigateway.go), and ALB (alb.go). internal/events
// decodes every HTTP event in one pass and says which kind it is; [Decode]
// asks the registered shapes which one it is theirs. What the shapes share
// lives beside them: the buffered response document (buffered.go), the
// streamed response (stream.go), the JSON string encoder both use
// (jsonstring.go) and the headers' forms (headers.go).
//
// SQS batches (sqs.go), SNS notifications (sns.go) and EventBridge events
// (eventbridge.go) are sources whose records are unary calls: call.go
// turns a record into a method, a request message and metadata, which
// [Invoker]'s Call runs through the handler's dispatcher; batch.go runs a
// batch's calls, and async.go ([Async]) says which failures are
// delivered again.
//
// [Invoker] answers the Runtime API loop's invocations (package
// runtimeloop) by asking each source in turn; [Decode] and [ServeBuffered]
// serve lambdagrpc.EventHandler.
package eventsource
