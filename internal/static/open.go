package static

import (
	"bytes"
	"os"
	"sync/atomic"
	"syscall"
	"time"

	"webserv/internal/config"
	"webserv/internal/fspolicy"
	"webserv/internal/rawio"
)

// file is a file opened for serving: one open and one fstat, instead of
// os.Stat then os.Open (which for a regular file also spends four fcntl
// calls and a failing epoll_ctl trying to make it pollable).
//
// No *os.File is made on the request path: its bytes leave with pread or
// with sendfile at an explicit offset on the socket (http1.SendFile), so
// the descriptor's own offset and blocking mode never matter.
type file struct {
	fd    int
	pathZ []byte // its path, NUL-terminated: the caller's buffer
	id    fileID // from the fstat (cache.go)
	// raw: on a local file system (root.go): fstat and reads of cached
	// regions are made raw (rawfile_linux.go).
	raw bool
}

func (f *file) isDir() bool     { return f.id.mode&syscall.S_IFMT == syscall.S_IFDIR }
func (f *file) isRegular() bool { return f.id.mode&syscall.S_IFMT == syscall.S_IFREG }

// path returns the file's path as a new string (for errors, listings and
// the other paths that are not every request's).
func (f *file) path() string { return string(f.pathZ[:len(f.pathZ)-1]) }

// name is the last element of the file's path.
func (f *file) name() []byte {
	p := f.pathZ[:len(f.pathZ)-1]
	return p[bytes.LastIndexByte(p, '/')+1:]
}

// ext is the file name's extension, from its last dot ("" if none).
func (f *file) ext() []byte {
	n := f.name()
	if i := bytes.LastIndexByte(n, '.'); i >= 0 {
		return n[i:]
	}
	return nil
}

// modTime is the modification time in whole seconds, UTC (what
// Last-Modified and the ETag say).
func (f *file) modTime() time.Time { return time.Unix(int64(f.id.mtim.Sec), 0).UTC() }

func (f *file) close() {
	if f.raw {
		// Linked when opened, on a local file system: the close drops a
		// reference and waits for nothing. Through syscall.Syscall it
		// woke the runtime's monitor thread on every request at a
		// moderate load (rawStatZ). Should the file have been unlinked
		// since (a deploy renaming over it, within the request), this
		// last close frees its blocks in a raw call, which also holds up
		// a stop-the-world meanwhile; nginx's worker would wait as long.
		rawio.Close(f.fd)
		return
	}
	syscall.Close(f.fd)
}

// openFile opens path read-only for loc (see open).
func (fl *Files) openFile(loc *config.Location, path string) (file, error) {
	return fl.open(loc, append([]byte(path), 0))
}

// open opens the NUL-terminated path (route.AppendFilePath of loc)
// read-only and fstats it, enforcing loc's disable_symlinks: with
// openat2 beneath the root where the kernel can (root.go), else by
// opening the path and checking where the descriptor leads (inside).
// Errors are as openZ's, and outside.
func (fl *Files) open(loc *config.Location, pathZ []byte) (file, error) {
	if h := testHookOpen.Load(); h != nil {
		(*h)(string(pathZ[:len(pathZ)-1])) // a copy: pathZ stays on its stack
	}
	if !loc.DisableSymlinks {
		return openZ(pathZ)
	}
	if bytes.IndexByte(pathZ[:len(pathZ)-1], 0) >= 0 {
		return file{}, syscall.EINVAL
	}
	f, ok, err := fl.openBeneath(loc, pathZ)
	if ok {
		return f, err
	}
	refused := err == errOpenat2Refused
	f, err = openZ(pathZ)
	if err != nil {
		return f, err
	}
	if refused {
		haveOpenat2.Store(false) // open may, openat2 may not: a sandbox's rule
	}
	if err := fl.inside(loc, &f); err != nil {
		f.close()
		return file{}, err
	}
	return f, nil
}

// testHookOpen, when set (tests), is told the path of every open: what
// the caches spare is an open.
var testHookOpen atomic.Pointer[func(path string)]

// openZ opens the NUL-terminated path read-only and fstats it, without
// allocating when it fails with an everyday error (a 404 costs nothing
// but the syscall): those come back as the bare syscall.Errno, others as
// an *os.PathError naming the file. O_NONBLOCK keeps the open of a FIFO
// from blocking until a writer appears (such files are refused right
// after); on regular files and directories it has no effect.
func openZ(pathZ []byte) (file, error) {
	if bytes.IndexByte(pathZ[:len(pathZ)-1], 0) >= 0 {
		return file{}, syscall.EINVAL
	}
	fd, err := openat(pathZ, syscall.O_RDONLY|syscall.O_CLOEXEC|syscall.O_NONBLOCK)
	for err == syscall.EINTR {
		fd, err = openat(pathZ, syscall.O_RDONLY|syscall.O_CLOEXEC|syscall.O_NONBLOCK)
	}
	if err != nil {
		return file{}, openError(pathZ, err)
	}
	return fstatFile(fd, pathZ, false, 0)
}

// openError is what an open of pathZ that failed with err returns.
func openError(pathZ []byte, err error) error {
	errno, _ := err.(syscall.Errno) // an Errno's comparisons, not ifaceeq calls
	switch errno {
	case syscall.ENOENT, syscall.ENOTDIR, syscall.ENAMETOOLONG, syscall.EACCES, syscall.EPERM:
		return err
	}
	return &os.PathError{Op: "open", Path: string(pathZ[:len(pathZ)-1]), Err: err}
}

// fstatFile makes the file open as fd at pathZ, closing fd on error. local
// says fd was opened beneath a root on a local file system whose device
// is dev: the file's calls are then made raw (rawfile_linux.go) if it is
// on that same file system and still linked (the last close of an
// unlinked file frees its blocks, which may take the disk a while).
func fstatFile(fd int, pathZ []byte, local bool, dev uint64) (file, error) {
	var st syscall.Stat_t
	var err error
	if local {
		err = rawFstat(fd, &st)
	} else {
		err = syscall.Fstat(fd, &st)
	}
	if err != nil {
		syscall.Close(fd)
		return file{}, &os.PathError{Op: "fstat", Path: string(pathZ[:len(pathZ)-1]), Err: err}
	}
	f := file{fd: fd, pathZ: pathZ, id: idOf(&st)}
	f.raw = local && f.id.dev == dev && st.Nlink > 0
	return f, nil
}

// readAt fills buf from offset off of the file with pread (one call for
// a regular file, barring a signal).
func (f *file) readAt(buf []byte, off int64) error {
	n, raw := 0, false
	if f.raw {
		// What the page cache holds, in one call; cachestat decides the
		// rest only where that call is not available.
		var ok bool
		if n, ok = readCached(f.fd, buf, off); !ok {
			raw = f.cached(off, int64(len(buf)))
		}
	}
	for n < len(buf) {
		var m int
		var err error
		if raw {
			m, err = rawPread(f.fd, buf[n:], off+int64(n))
		} else {
			m, err = syscall.Pread(f.fd, buf[n:], off+int64(n))
		}
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return &os.PathError{Op: "read", Path: f.path(), Err: err}
		}
		if m == 0 {
			return &os.PathError{Op: "read", Path: f.path(), Err: syscall.EIO} // shrank under us
		}
		n += m
	}
	return nil
}

// cached reports whether the n bytes of the file from off may be read
// raw: the file is raw and they are in the page cache (rawfile_linux.go).
func (f *file) cached(off, n int64) bool { return f.raw && inCache(f.fd, off, n) }

// inside enforces disable_symlinks on for an opened file: the file the
// descriptor refers to (its real path, from fdPath: on Linux one readlink
// instead of resolving every component) must lie inside the real root or
// alias (fspolicy). Checking the opened descriptor, not the path, also
// closes the window in which a path could be swapped for a symlink
// between the check and the open.
func (fl *Files) inside(loc *config.Location, f *file) error {
	if !loc.DisableSymlinks {
		return nil
	}
	var buf [4096]byte
	n := fdPath(f.fd, buf[:])
	if n < 0 {
		// No /proc (or a path longer than the buffer): resolve the path.
		return fspolicy.CheckSymlinks(&fl.bases, loc, f.path())
	}
	base, err := fl.bases.Real(loc)
	if err != nil {
		return fspolicy.Error(err)
	}
	if !fspolicy.Within(buf[:n], base) {
		return fspolicy.Outside
	}
	return nil
}
