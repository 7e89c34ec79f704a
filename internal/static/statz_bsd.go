//go:build darwin || freebsd

package static

import "syscall"

// macOS and FreeBSD: the portable system calls. They copy the path into a
// new NUL-terminated string on every call, so a cache hit or a 404
// allocates where on Linux (statz_linux.go) it does not; and without
// /proc/self/fd, disable_symlinks resolves the path instead of the
// descriptor (fdPath).

// openat is open(2) of a NUL-terminated path.
func openat(pathZ []byte, flags int) (int, error) {
	return syscall.Open(string(pathZ[:len(pathZ)-1]), flags, 0)
}

// statZ is stat(2) of a NUL-terminated path.
func statZ(pathZ []byte, st *syscall.Stat_t) error {
	return syscall.Stat(string(pathZ[:len(pathZ)-1]), st)
}

// rawStatZ is statZ here (statz_linux_fast.go).
func rawStatZ(pathZ []byte, st *syscall.Stat_t) error { return statZ(pathZ, st) }

func idOf(st *syscall.Stat_t) fileID {
	return fileID{dev: uint64(st.Dev), ino: uint64(st.Ino), mode: uint32(st.Mode), size: st.Size, mtim: st.Mtimespec, ctim: st.Ctimespec}
}

// fdPath reports that the path of an open descriptor is not known here
// (there is no /proc/self/fd): the caller resolves the file's path.
func fdPath(fd int, buf []byte) int { return -1 }
