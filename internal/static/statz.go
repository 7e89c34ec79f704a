package static

import (
	"syscall"
	"unsafe"
)

// openat is open(2) of a NUL-terminated path: syscall.Open would copy a
// Go string into a new NUL-terminated buffer on every call.
func openat(pathZ []byte, flags int) (int, error) {
	fd, _, e := syscall.Syscall6(syscall.SYS_OPENAT, uintptr(atFDCWD), uintptr(unsafe.Pointer(&pathZ[0])), uintptr(flags), 0, 0, 0)
	if e != 0 {
		return -1, e
	}
	return int(fd), nil
}

// atFDCWD is AT_FDCWD: paths relative to the working directory.
var atFDCWD = -100
