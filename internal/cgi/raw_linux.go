package cgi

import (
	"syscall"
	"unsafe"
)

// The reads of a program's output, the close of its stderr pipe and the
// reaping of a program that has exited are made by RawSyscall: none of
// them can block (the descriptors are non-blocking, the poller waits on
// EAGAIN, and wait4 is asked with WNOHANG first), so they need none of
// the runtime's syscall bookkeeping, whose entersyscall wakes the
// runtime's monitor thread (sysmon) after every idle moment. With CGI the
// processors go idle on every program; each wake-up costs sysmon a run of
// 20µs sleeps. The reads and the close are internal/rawio's, as
// internal/server's.

// reaped reports whether wait4 with WNOHANG reaped pid: it has exited.
func reaped(pid int) bool {
	var ws syscall.WaitStatus
	r, _, _ := syscall.RawSyscall6(syscall.SYS_WAIT4, uintptr(pid), uintptr(unsafe.Pointer(&ws)), syscall.WNOHANG, 0, 0, 0)
	return int(r) == pid
}
