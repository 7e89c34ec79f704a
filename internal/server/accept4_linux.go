//go:build linux && !386

package server

import (
	"syscall"
	"unsafe"
)

// rawAccept4 is accept4(2) on the non-blocking listener lfd, made without
// the runtime's syscall bookkeeping (it cannot wait), with the peer's
// address in sa; the new descriptor is non-blocking and close-on-exec.
func rawAccept4(lfd uintptr, sa *syscall.RawSockaddrInet6) (int, syscall.Errno) {
	n := uint32(unsafe.Sizeof(*sa))
	r, _, e := syscall.RawSyscall6(syscall.SYS_ACCEPT4, lfd, uintptr(unsafe.Pointer(sa)), uintptr(unsafe.Pointer(&n)), syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC, 0, 0)
	return int(r), e
}
