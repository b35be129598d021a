// Package emulator is a local AWS Lambda: a Runtime API server, a Function
// URL front door, and the lifecycle of a function process, real enough that
// a function which works against it works on Lambda.
//
// It follows the Runtime API and event shapes byte for byte where the
// official emulator does not: responses stream through to the caller as the
// function writes them, error trailers are honoured, Managed Instances
// concurrency serves several invocations at once (further ones wait in a
// FIFO queue), stale responses get 410, and oversized buffered responses get
// 413.
//
// A test starts one with package emulatortest, which closes it when the
// test ends, and serves the function in-process:
//
//	e := emulatortest.Start(t, emulator.Config{InvokeMode: emulator.ResponseStream})
//	go lambdagrpc.Serve(ctx, srv, lambdagrpc.WithRuntimeAPI(e.RuntimeAPIAddr()))
//	resp, err := http.Post(e.URL()+"/pkg.Service/Method", "application/json", body)
//
// or lets the emulator run the function as a process (Config.Command or
// Config.Package), as `lambdagrpc emulate` does.
package emulator
