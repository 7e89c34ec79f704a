//go:build linux && (amd64 || arm64)

package http1

import (
	"syscall"
	"unsafe"
)

// canSendMore: a head followed by sendfile is sent with sendmsg(2) and
// MSG_MORE (writevOp.more).
const canSendMore = true

// sendmsgMore is sendmsg(2) of n iovecs from iov on the socket s with
// MSG_MORE, made raw as writev is (sendfile_linux.go).
func sendmsgMore(s uintptr, iov *syscall.Iovec, n int) (uintptr, syscall.Errno) {
	msg := syscall.Msghdr{Iov: iov, Iovlen: uint64(n)}
	r, _, e := syscall.RawSyscall(syscall.SYS_SENDMSG, s, uintptr(unsafe.Pointer(&msg)), syscall.MSG_MORE)
	return r, e
}
