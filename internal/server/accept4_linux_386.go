package server

import (
	"syscall"
	"unsafe"
)

// rawAccept4: 386 reaches accept4 through socketcall(2), which package
// syscall keeps to itself; its Accept4 is used there.
func rawAccept4(lfd uintptr, sa *syscall.RawSockaddrInet6) (int, syscall.Errno) {
	fd, from, err := syscall.Accept4(int(lfd), syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC)
	if err != nil {
		if e, ok := err.(syscall.Errno); ok {
			return -1, e
		}
		return -1, syscall.EINVAL
	}
	*sa = syscall.RawSockaddrInet6{}
	switch a := from.(type) {
	case *syscall.SockaddrInet4:
		p := (*syscall.RawSockaddrInet4)(unsafe.Pointer(sa))
		p.Family = syscall.AF_INET
		p.Port = htons(uint16(a.Port))
		p.Addr = a.Addr
	case *syscall.SockaddrInet6:
		sa.Family = syscall.AF_INET6
		sa.Port = htons(uint16(a.Port))
		sa.Addr = a.Addr
		sa.Scope_id = a.ZoneId
	}
	return fd, 0
}

func htons(p uint16) uint16 { return ntohs(p) }
