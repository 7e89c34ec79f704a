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
	resolveCached  = 0x20 // Linux 5.12: EAGAIN if the lookup is not all in the dentry cache
	resolveNoXdev  = 0x01 // EXDEV if the lookup crosses a mount point

	// cachedResolve is the raw open's (openat2BeneathCached).
	cachedResolve = resolveBeneath | resolveNoMagic | resolveCached | resolveNoXdev
)

type openHow struct {
	flags, mode, resolve uint64
}

// haveOpenat2 is cleared when the kernel (or a seccomp filter) answers
// ENOSYS; root.go then opens by path.
var haveOpenat2 atomic.Bool

// haveResolveCached is cleared when the kernel does not know
// RESOLVE_CACHED (EINVAL before Linux 5.12).
var haveResolveCached atomic.Bool

func init() {
	haveOpenat2.Store(true)
	haveResolveCached.Store(true)
}

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

// openat2BeneathCached is openat2Beneath for a root on a local file
// system (localFS) that first tries the lookup from the dentry cache
// alone (RESOLVE_CACHED), with RawSyscall: such an open waits for no
// disk (rawfile_linux.go). Otherwise the open is openat2Beneath's.
func openat2BeneathCached(dirfd int, relZ []byte, flags int) (int, error) {
	if haveResolveCached.Load() {
		// RESOLVE_NO_XDEV: a file on another mount beneath the root (FUSE,
		// NFS, a device node) may wait in its open or fstat; that lookup
		// fails with EXDEV here and takes the blocking open below.
		how := openHow{flags: uint64(flags), resolve: cachedResolve}
		r, _, e := syscall.RawSyscall6(sysOpenat2, uintptr(dirfd), uintptr(unsafe.Pointer(&relZ[0])), uintptr(unsafe.Pointer(&how)), unsafe.Sizeof(how), 0, 0)
		switch e {
		case 0:
			return int(r), nil
		case syscall.EAGAIN, syscall.EINTR, syscall.EXDEV:
			// Not all cached (the lookup may read the disk), or on
			// another mount.
		case syscall.EINVAL:
			haveResolveCached.Store(false) // before Linux 5.12
		default:
			return -1, e
		}
	}
	return openat2Beneath(dirfd, relZ, flags)
}
