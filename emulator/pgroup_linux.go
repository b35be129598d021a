package emulator

import "syscall"

// ownProcessGroup puts the function in a process group of its own, so the
// terminal's SIGINT reaches the emulator only. Out of the terminal's group,
// the function would outlive an emulator killed outright (kill -9, a test
// binary's timeout), so the kernel kills it when the emulator dies.
func ownProcessGroup() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
