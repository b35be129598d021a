package awsclient_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any goroutine outlives them. The
// exceptions: the test service's deliberately slow handlers (see the root
// package's TestMain), and net/http's half-second linger on a connection
// whose oversize request the emulator refused unread, which a test of that
// refusal can end within.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		goleak.IgnoreAnyFunction("github.com/lambdagrpc/lambdagrpc/internal/testsvc.steer"),
		goleak.IgnoreAnyFunction("net/http.(*conn).closeWriteAndWait"))
}
