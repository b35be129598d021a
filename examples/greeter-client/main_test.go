package main

import (
	"bytes"
	"context"
	"io"
	"testing"
	"time"

	"github.com/lambdagrpc/lambdagrpc/emulator"
	"github.com/lambdagrpc/lambdagrpc/emulator/emulatortest"
)

// TestAgainstTheEmulator runs the example client against the example
// greeter, built and run as a process on the emulator.
func TestAgainstTheEmulator(t *testing.T) {
	t.Parallel()
	e := emulatortest.Start(t, emulator.Config{Package: "../greeter", Timeout: 10 * time.Second, Output: io.Discard})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out bytes.Buffer
	if err := run(ctx, e.URL(), "Ada", &out); err != nil {
		t.Fatal(err)
	}
	want := "Hello, Ada!\nHello, Ada! (1/3)\nHello, Ada! (2/3)\nHello, Ada! (3/3)\n"
	if out.String() != want {
		t.Fatalf("output %q, want %q", out.String(), want)
	}
}
