package main

import (
	"context"
	"errors"
	"io"
)

func emulate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("emulate: not available yet")
}
