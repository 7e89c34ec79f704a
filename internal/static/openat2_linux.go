package static

import (
	"sync/atomic"
	"syscall"
	"unsafe"
)

// openat2(2) (Linux 5.6): not in package syscall, so made directly.
const (
	sysOpenat2     = 437 // the same number on every Linux architecture
	resolveBeneath = 0x08
	resolveNoMagic = 0x02 // no /proc/self/fd-style "magic" links
)

type openHow struct {
	flags, mode, resolve uint64
}

// haveOpenat2 is cleared when the kernel (or a seccomp filter) answers
// ENOSYS; root.go then opens by path.
var haveOpenat2 atomic.Bool

func init() { haveOpenat2.Store(true) }

// openat2Beneath opens the NUL-terminated relZ relative to dirfd, with
// RESOLVE_BENEATH: EXDEV if the resolution would leave dirfd's tree.
func openat2Beneath(dirfd int, relZ []byte, flags int) (int, error) {
	how := openHow{flags: uint64(flags), resolve: resolveBeneath | resolveNoMagic}
	fd, _, e := syscall.Syscall6(sysOpenat2, uintptr(dirfd), uintptr(unsafe.Pointer(&relZ[0])), uintptr(unsafe.Pointer(&how)), unsafe.Sizeof(how), 0, 0)
	if e != 0 {
		return -1, e
	}
	return int(fd), nil
}
