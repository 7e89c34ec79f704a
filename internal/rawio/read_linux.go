package rawio

import (
	"syscall"
	"unsafe"
)

// Read is read(2) of a non-blocking descriptor by RawSyscall; b is not
// empty. The error is the bare errno.
func Read(fd int, b []byte) (int, error) {
	n, _, e := syscall.RawSyscall(syscall.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)))
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}

// Close is close(2) by RawSyscall, for a descriptor whose close cannot
// wait: a pipe end, a socket without SO_LINGER, a file that is not the
// last link to its data.
func Close(fd int) { syscall.RawSyscall(syscall.SYS_CLOSE, uintptr(fd), 0, 0) }
