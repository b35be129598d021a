package client_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any goroutine outlives them; the
// test service's deliberately slow handlers are the one exception (see the
// root package's TestMain).
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction("github.com/lambdagrpc/lambdagrpc/internal/testsvc.steer"))
}
