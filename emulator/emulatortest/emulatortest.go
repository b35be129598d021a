// Package emulatortest starts local Lambda emulators for Go tests. It is
// apart from package emulator so that programs which run an emulator, such
// as the lambdagrpc command, do not link package testing.
package emulatortest

import (
	"context"
	"testing"

	"github.com/lambdagrpc/lambdagrpc/emulator"
)

// Start starts an emulator with cfg for the test t and closes it when the
// test and its subtests end. It fails the test at once if the emulator
// cannot start (a configuration mistake, a Package that does not build),
// and reports an error if the emulator does not close cleanly.
func Start(t testing.TB, cfg emulator.Config) *emulator.Emulator {
	t.Helper()
	e, err := emulator.Start(context.Background(), cfg)
	if err != nil {
		t.Fatalf("emulator: %v", err)
	}
	t.Cleanup(func() {
		if err := e.Close(); err != nil {
			t.Errorf("emulator: close: %v", err)
		}
	})
	return e
}
