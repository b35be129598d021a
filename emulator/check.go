package emulator

import (
	"context"
	"fmt"

	"github.com/lambdagrpc/lambdagrpc/internal/gotool"
)

// Check reports the mistakes in cfg that Start reports before it binds any
// address: an unknown setting, or a Package that is not a main package. It
// builds nothing, so a program can check a configuration, then its
// addresses, then Start, and say what is wrong before a long build.
func (cfg Config) Check(ctx context.Context) error {
	if err := cfg.defaults(); err != nil {
		return err
	}
	if len(cfg.Command) == 0 && cfg.Package != "" {
		if err := gotool.CheckMain(ctx, cfg.Package); err != nil {
			return fmt.Errorf("emulator: %w", err)
		}
	}
	return nil
}
