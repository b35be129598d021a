//go:build unix && !linux

package emulator

import "syscall"

// ownProcessGroup puts the function in a process group of its own, so the
// terminal's SIGINT reaches the emulator only. Unlike Linux, these systems
// cannot tie the function's life to the emulator's: a function whose
// emulator is killed outright ends when its next Runtime API call fails.
func ownProcessGroup() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }
