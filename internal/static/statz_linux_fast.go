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

// rawStatZ is statZ made with RawSyscall, for the freshness check of a
// cached file under a root on a local file system that was checked in
// the last second (cache.go, rawCheck): its path was walked a moment ago,
// so the walk finds every dentry in the cache and waits for no disk.
// Through syscall.Syscall, the runtime's entersyscall wakes its monitor
// thread whenever the processors were idle, which is between requests at
// a moderate load (rawfile_linux.go): measured with bench/gobench rate at
// 10,000 requests/s, the monitor woke 4,750 times a second and took a
// fifth of the server's CPU. The cost of being wrong is not local: a
// goroutine in a raw call cannot be preempted, so a lookup that reads
// the disk after all (a dentry evicted within the second) holds up the
// garbage collector's stop-the-world, and with it every goroutine, for
// that read. Entries not checked for longer take statZ.
func rawStatZ(pathZ []byte, st *syscall.Stat_t) error {
	_, _, e := syscall.RawSyscall6(sysStat, uintptr(atFDCWD), uintptr(unsafe.Pointer(&pathZ[0])), uintptr(unsafe.Pointer(st)), 0, 0, 0)
	if e != 0 {
		return e
	}
	return nil
}
