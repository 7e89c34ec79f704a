//go:build linux && (amd64 || arm64)

package static

import (
	"syscall"
	"unsafe"
)

// statZ is stat(2) of a NUL-terminated path. syscall.Stat would copy a Go
// string into a new NUL-terminated buffer on every call; the cache keeps
// its paths terminated so that a hit allocates nothing.
func statZ(pathZ []byte, st *syscall.Stat_t) error {
	_, _, e := syscall.Syscall6(sysStat, uintptr(atFDCWD), uintptr(unsafe.Pointer(&pathZ[0])), uintptr(unsafe.Pointer(st)), 0, 0, 0)
	if e != 0 {
		return e
	}
	return nil
}
