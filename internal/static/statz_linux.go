package static

import (
	"strconv"
	"syscall"
	"unsafe"
)

// Linux: the static path's system calls made directly, so that a cache hit
// and a 404 allocate nothing (statz_linux_fast.go, alloc_test.go in
// internal/server). statz_bsd.go is the portable counterpart.

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

func idOf(st *syscall.Stat_t) fileID {
	return fileID{dev: uint64(st.Dev), ino: uint64(st.Ino), mode: st.Mode, size: st.Size, mtim: st.Mtim, ctim: st.Ctim}
}

// fdPath puts the path of the file open as fd into buf and returns its
// length, or -1 if it is not known (no /proc, or a path longer than buf):
// one readlink of /proc/self/fd/N (proc(5)) instead of resolving every
// component of the path.
func fdPath(fd int, buf []byte) int {
	n, err := syscall.Readlink("/proc/self/fd/"+strconv.Itoa(fd), buf)
	if err != nil || n == len(buf) {
		return -1
	}
	return n
}
