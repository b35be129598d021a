//go:build !unix

package emulator

import (
	"os"
	"syscall"
)

func ownProcessGroup() *syscall.SysProcAttr { return nil }

func stoppedCleanly(ps *os.ProcessState) bool { return ps != nil && ps.Success() }
