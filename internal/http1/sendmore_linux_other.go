//go:build linux && !amd64 && !arm64

package http1

import "syscall"

// canSendMore: elsewhere (386's sendmsg goes through socketcall, and
// Msghdr's layout differs) the head leaves with writev on its own.
const canSendMore = false

func sendmsgMore(s uintptr, iov *syscall.Iovec, n int) (uintptr, syscall.Errno) {
	return 0, syscall.ENOSYS
}
