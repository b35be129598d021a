package lambdagrpc_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any goroutine outlives them. The
// only exception is the test service's deliberately slow handlers: tests
// prove that calls to them end at their deadline while the handlers, which
// ignore their context, sleep on for a few seconds, as a misbehaving user
// handler would.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction("github.com/lambdagrpc/lambdagrpc/internal/testsvc.steer"))
}
