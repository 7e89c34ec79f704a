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

// rawStatZ is statZ made with RawSyscall, for the freshness checks of
// cached files under a root on a local file system (cacheEntry.raw): a
// path just served walks dentries in the cache, and that stat waits for
// no disk or server. Through syscall.Syscall, the runtime's entersyscall
// wakes its monitor thread whenever the processors were idle, which is
// between requests at a moderate load (rawfile_linux.go): measured with
// bench/gobench rate at 10,000 requests/s, the monitor woke 4,750 times
// a second and took a fifth of the server's CPU. Should a dentry have
// been evicted, the lookup reads the directory with the processor held,
// which only delays goroutines waiting for it (the loop itself waits for
// the stat either way).
func rawStatZ(pathZ []byte, st *syscall.Stat_t) error {
	_, _, e := syscall.RawSyscall6(sysStat, uintptr(atFDCWD), uintptr(unsafe.Pointer(&pathZ[0])), uintptr(unsafe.Pointer(st)), 0, 0, 0)
	if e != 0 {
		return e
	}
	return nil
}
