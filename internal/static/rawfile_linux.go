package static

import (
	"os"
	"strconv"
	"sync/atomic"
	"syscall"
	"unsafe"
)

// Raw file calls. A file of a root on a local file system (localFS) is
// opened with RESOLVE_CACHED first (openat2Beneath), fstat'ed with
// RawSyscall, and read (pread, sendfile) that way when cachestat(2)
// finds the region in the page cache: none of those can wait for a disk
// or a network, so they need none of the runtime's syscall bookkeeping,
// whose entersyscall wakes the runtime's monitor thread when the
// processors were idle (internal/http1, sendfile_linux.go: about one
// nanosleep per keep-alive request). Anything that may block — a lookup
// not in the dentry cache, a region not cached, a file on another file
// system than its root's, the close of a file already unlinked when it
// was opened (which may free its blocks) — goes through syscall.Syscall
// as before: a goroutine in a raw call cannot be preempted, so a raw
// call that waits holds up the garbage collector's stop-the-world, and
// every goroutine with it. The freshness stat of a cache entry is raw
// only while its path was walked in the last second (statChecked), and
// the close of a file unlinked while it was being served is the one wait
// left (file.close).

// sysCachestat is cachestat(2) (Linux 6.5), the same number everywhere.
const sysCachestat = 451

type cachestatRange struct{ off, len uint64 }

type cachestat struct {
	nrCache, nrDirty, nrWriteback, nrEvicted, nrRecentlyEvicted uint64
}

// haveCachestat is cleared when the kernel (or a seccomp filter) refuses
// cachestat: file regions are then always read through syscall.Syscall.
var haveCachestat atomic.Bool

func init() { haveCachestat.Store(true) }

var pageSize = uint64(os.Getpagesize())

// inCache reports whether the n bytes of fd from off are all in the page
// cache, so that reading them cannot wait for the disk.
func inCache(fd int, off, n int64) bool {
	if n <= 0 {
		return true
	}
	if !haveCachestat.Load() {
		return false
	}
	rg := cachestatRange{off: uint64(off), len: uint64(n)}
	var cs cachestat
	_, _, e := syscall.RawSyscall6(sysCachestat, uintptr(fd), uintptr(unsafe.Pointer(&rg)), uintptr(unsafe.Pointer(&cs)), 0, 0, 0)
	if e != 0 {
		if e == syscall.ENOSYS || e == syscall.EPERM {
			haveCachestat.Store(false)
		}
		return false
	}
	first, last := uint64(off)/pageSize, (uint64(off)+uint64(n)-1)/pageSize
	return cs.nrCache >= last-first+1
}

// rawFstat is fstat(2) without the runtime's bookkeeping.
func rawFstat(fd int, st *syscall.Stat_t) error {
	if _, _, e := syscall.RawSyscall(syscall.SYS_FSTAT, uintptr(fd), uintptr(unsafe.Pointer(st)), 0); e != 0 {
		return e
	}
	return nil
}

// haveNoWait is cleared when the kernel or the file system refuses
// RWF_NOWAIT (readCached): reads then ask cachestat first, as sendfile's.
var haveNoWait atomic.Bool

func init() { haveNoWait.Store(true) }

// rwfNoWait is RWF_NOWAIT (Linux 4.14): read only what needs no I/O.
const rwfNoWait = 0x8

// readCached reads from off into b what the page cache holds, without
// waiting and without the runtime's bookkeeping: one preadv2(2) with
// RWF_NOWAIT, where asking cachestat first and then reading took two
// system calls. It returns the bytes read; fewer than len(b) (0 on an
// error, or at the end of the file) leaves the rest to a read that may
// wait. ok is false where RWF_NOWAIT is not available.
func readCached(fd int, b []byte, off int64) (n int, ok bool) {
	if len(b) == 0 || sysPreadv2 == 0 || !haveNoWait.Load() {
		return 0, false
	}
	iov := syscall.Iovec{Base: &b[0]}
	iov.SetLen(len(b))
	r, _, e := syscall.RawSyscall6(sysPreadv2, uintptr(fd), uintptr(unsafe.Pointer(&iov)), 1, uintptr(off), 0, rwfNoWait)
	switch e {
	case 0:
		return int(r), true
	case syscall.EAGAIN, syscall.EINTR:
		return 0, true
	case syscall.EOPNOTSUPP, syscall.EINVAL, syscall.ENOSYS, syscall.EPERM:
		haveNoWait.Store(false)
	}
	return 0, false
}

// rawPread is pread(2) without the runtime's bookkeeping: for a region
// inCache found cached.
func rawPread(fd int, b []byte, off int64) (int, error) {
	n, _, e := syscall.RawSyscall6(syscall.SYS_PREAD64, uintptr(fd), uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)), uintptr(off), 0, 0)
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}

// localFS reports whether the directory open as fd is on a local file
// system whose open, fstat and close of a regular file do not wait for a
// device or a server (unlike NFS, SMB or FUSE, whose opens and attribute
// reads may ask one).
func localFS(fd int) bool {
	if strconv.IntSize != 64 {
		// The raw calls pass a 64-bit offset in one register (pread64's
		// 32-bit layouts split it): 64-bit Linux only.
		return false
	}
	var sf syscall.Statfs_t
	if syscall.Fstatfs(fd, &sf) != nil {
		return false
	}
	switch uint32(sf.Type) {
	case 0xEF53, // ext2, ext3, ext4
		0x58465342, // xfs
		0x9123683E, // btrfs
		0x01021994, // tmpfs
		0x858458F6, // ramfs
		0xF2F52010, // f2fs
		0x794C7630, // overlayfs (containers), over a local one
		0x2FC12FC1: // zfs
		return true
	}
	return false
}
