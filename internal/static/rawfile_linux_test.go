//go:build linux && (amd64 || arm64)

package static

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"unsafe"

	"webserv/internal/config"
)

// A file beneath a root on a local file system is opened, fstat'ed and
// closed raw, and read raw only where cachestat finds its bytes in the
// page cache: a region dropped from the cache, or past the end, is read
// through syscall.Syscall, with the same bytes served either way. An
// unlinked file, or one of another file system, is never raw.
func TestRawFileCalls(t *testing.T) {
	t.Parallel()
	if !haveOpenat2.Load() {
		t.Skip("no openat2")
	}
	root := t.TempDir()
	rfd, err := syscall.Open(root, syscall.O_RDONLY|syscall.O_DIRECTORY, 0)
	if err != nil {
		t.Fatal(err)
	}
	local := localFS(rfd)
	syscall.Close(rfd)
	if !local {
		t.Skip("the temporary directory is not on a local file system localFS knows")
	}
	data := make([]byte, 100<<10) // above mediumFile: sendfile; its ranges: pread
	for i := range data {
		data[i] = byte(i * 7)
	}
	p := filepath.Join(root, "f.bin")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	fl := New(Options{})
	defer fl.Close()
	loc := &config.Location{Root: root, DisableSymlinks: true}

	f, ok, err := fl.openBeneath(loc, []byte(p+"\x00"))
	if !ok || err != nil {
		t.Fatalf("openBeneath: ok %v, err %v", ok, err)
	}
	if !f.raw {
		t.Error("a file of a local root is not raw")
	}
	if haveCachestat.Load() && !f.cached(0, int64(len(data))) {
		t.Error("a file just written is not found in the page cache")
	}
	if f.cached(int64(len(data)), 4096) {
		t.Error("a region past the end of the file is found cached")
	}
	// What the page cache holds is read in one call, without waiting.
	cbuf := make([]byte, 20<<10)
	if n, ok := readCached(f.fd, cbuf, 3000); ok && (n != len(cbuf) || string(cbuf) != string(data[3000:3000+len(cbuf)])) {
		t.Errorf("readCached of a cached region: %d bytes, want the file's %d", n, len(cbuf))
	}
	if n, ok := readCached(f.fd, cbuf, int64(len(data)-100)); ok && (n != 100 || string(cbuf[:n]) != string(data[len(data)-100:])) {
		t.Errorf("readCached up to the end: %d bytes, want 100", n)
	}
	// Dropped from the page cache (written back first): read the
	// blocking way, and the same bytes all the same.
	if err := syscall.Fsync(f.fd); err != nil {
		t.Fatal(err)
	}
	const fadvDontNeed = 4
	syscall.Syscall6(syscall.SYS_FADVISE64, uintptr(f.fd), 0, 0, fadvDontNeed, 0, 0)
	if f.cached(0, int64(len(data))) {
		t.Log("the page cache kept the file after POSIX_FADV_DONTNEED")
	}
	buf := make([]byte, 1000)
	if err := f.readAt(buf, 5000); err != nil || string(buf) != string(data[5000:6000]) {
		t.Errorf("readAt: %v, or not the file's bytes", err)
	}
	f.close()
	for range 2 { // from the disk, then from the cache
		if body, err := serve(fl, loc, "/f.bin"); err != nil || body != string(data) {
			t.Errorf("served %d bytes (%v), want the file's %d", len(body), err, len(data))
		}
	}

	// fstatFile: raw only for a linked file of the root's file system.
	fd, err := syscall.Open(p, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	var st syscall.Stat_t
	syscall.Fstat(fd, &st)
	dev := uint64(st.Dev)
	fd2, _ := syscall.Dup(fd)
	if f, err := fstatFile(fd2, []byte(p+"\x00"), true, dev+1); err != nil || f.raw {
		t.Errorf("a file of another file system: raw %v, %v", f.raw, err)
	} else {
		f.close()
	}
	os.Remove(p)
	if f, err := fstatFile(fd, []byte(p+"\x00"), true, dev); err != nil || f.raw {
		t.Errorf("an unlinked file: raw %v, %v", f.raw, err)
	} else {
		f.close()
	}
}

// The raw open from the dentry cache does not cross into another mount
// beneath the root (a FUSE or NFS mount, a device node), whose open or
// fstat may wait: that lookup fails and takes the blocking open.
func TestCachedOpenStaysOnRootMount(t *testing.T) {
	t.Parallel()
	root, err := syscall.Open("/", syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(root)
	if !localFS(root) {
		t.Skip("/ is not on a local file system")
	}
	f, err := os.CreateTemp("/dev/shm", "rawmount")
	if err != nil {
		t.Skip(err)
	}
	f.Close()
	defer os.Remove(f.Name())
	var st, rst syscall.Stat_t
	if syscall.Stat(f.Name(), &st) != nil || syscall.Fstat(root, &rst) != nil || st.Dev == rst.Dev {
		t.Skip("/dev/shm is not another mount here")
	}
	rel := []byte(f.Name()[1:] + "\x00")
	if fd, err := openat2Beneath(root, rel, syscall.O_RDONLY|syscall.O_CLOEXEC); err != nil {
		t.Skip(err) // no openat2 here
	} else {
		syscall.Close(fd)
	}
	how := openHow{flags: syscall.O_RDONLY | syscall.O_CLOEXEC, resolve: cachedResolve}
	r, _, e := syscall.RawSyscall6(sysOpenat2, uintptr(root), uintptr(unsafe.Pointer(&rel[0])), uintptr(unsafe.Pointer(&how)), unsafe.Sizeof(how), 0, 0)
	if e == 0 {
		syscall.Close(int(r))
		t.Fatal("the raw cached open crossed into another mount")
	}
	// The open as the static path makes it still succeeds, blocking.
	fd, err := openat2BeneathCached(root, rel, syscall.O_RDONLY|syscall.O_CLOEXEC)
	if err != nil {
		t.Fatalf("openat2BeneathCached: %v", err)
	}
	syscall.Close(fd)
}
