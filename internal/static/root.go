package static

import (
	"bytes"
	"errors"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"webserv/internal/config"
	"webserv/internal/fspolicy"
)

// Roots held open for disable_symlinks on. Where the kernel can (Linux
// 5.6+, openat2(2) with RESOLVE_BENEATH: openat2_linux.go), a file is
// opened relative to a descriptor of its location's root (or alias)
// directory, and the kernel refuses any resolution that leaves it: a
// symlink out of the root fails the open itself, with no readlink of
// /proc/self/fd afterwards and no window between a check and the open.
// RESOLVE_BENEATH also refuses what the policy allows — an absolute
// symlink, or a relative one through "..", that ends inside the root —
// so such an open (EXDEV) takes the portable path: open by the full path,
// then check where the descriptor leads (inside), as without openat2.
//
// A root's descriptor is opened on first use and kept per location, in
// the Files of the configuration: Files.Close (a reload retiring the
// configuration, or the server's shutdown) lets go of every one, each
// closed once the requests using it are done (refs), so that a
// descriptor number is never reused under a request, and none opens
// after it, so that none outlives the configuration. Each
// rootRecheck, a request stats the root's path: a root replaced while the
// server runs (a directory renamed over it, a symlink re-pointed for a
// deployment) is reopened then, so the old tree is served at most that
// long after the swap.
const rootRecheck = time.Second

type rootDir struct {
	fd    int
	baseZ []byte // the root's path, NUL-terminated
	// base is baseZ without the NUL and any trailing slash: the prefix
	// of the paths opened beneath it (openBeneath).
	base []byte
	dev  uint64 // its identity when opened
	ino  uint64
	// local: on a file system whose calls the static path may make raw
	// (rawfile_linux.go).
	local bool
	// refs counts the configuration's hold (1 while the root is current)
	// and each request using fd; fd is closed when it drops to 0.
	refs    atomic.Int64
	checked atomic.Int64 // monoNow of the last stat of baseZ
}

// monoEpoch anchors monoNow.
var monoEpoch = time.Now()

// monoNow is the monotonic clock in nanoseconds since monoEpoch:
// time.Since reads only the monotonic clock, where time.Now reads the
// wall clock too, and stale runs for every request under disable_symlinks
// on (time.Now was a few per cent of a 404's user time in issue 17's
// profile).
func monoNow() int64 { return int64(time.Since(monoEpoch)) }

// acquire takes a reference for a request; false if the root was retired
// (and its descriptor closed or about to be).
func (r *rootDir) acquire() bool {
	for {
		n := r.refs.Load()
		if n <= 0 {
			return false
		}
		if r.refs.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

func (r *rootDir) release() {
	if r.refs.Add(-1) == 0 {
		syscall.Close(r.fd)
	}
}

// rootOf returns loc's root directory with a reference taken, opening
// it if needed, or nil when there is none to use (openat2 missing, the
// root not a directory, not openable): the caller then opens by path.
func (fl *Files) rootOf(loc *config.Location) *rootDir {
	if !haveOpenat2.Load() || fl.closed.Load() {
		return nil
	}
	for range 2 {
		r, ok := fl.roots.Load(loc)
		if !ok {
			n := openRoot(loc)
			if n == nil {
				return nil
			}
			if r, ok = fl.roots.LoadOrStore(loc, n); ok {
				n.release() // another request stored one first
			} else if fl.closed.Load() {
				// Close ran meanwhile and may have missed it: it must not
				// outlive the configuration.
				if fl.roots.CompareAndDelete(loc, r) {
					r.release()
				}
				return nil
			}
		}
		if r.fd < 0 {
			return nil // remembered failure
		}
		if !r.acquire() {
			fl.roots.CompareAndDelete(loc, r)
			continue
		}
		if r.stale() {
			// Replaced: retire this one (requests holding it finish
			// with it) and open the new one on the next turn.
			if fl.roots.CompareAndDelete(loc, r) {
				r.release()
			}
			r.release()
			continue
		}
		return r
	}
	return nil
}

// stale reports whether, at most once per rootRecheck, a stat of the
// root's path shows another directory than the one held.
func (r *rootDir) stale() bool {
	now := monoNow()
	last := r.checked.Load()
	if now-last < int64(rootRecheck) || !r.checked.CompareAndSwap(last, now) {
		return false
	}
	var st syscall.Stat_t
	if statZ(r.baseZ, &st) != nil {
		return true
	}
	id := idOf(&st)
	return id.dev != r.dev || id.ino != r.ino
}

// openRoot opens loc's root or alias directory, returning it with the
// configuration's reference, or a rootDir with fd -1 (so that the failure
// is not retried on every request), or nil on a passing error.
func openRoot(loc *config.Location) *rootDir {
	r := &rootDir{fd: -1, baseZ: append([]byte(fspolicy.Base(loc)), 0)}
	r.base = bytes.TrimRight(r.baseZ[:len(r.baseZ)-1], "/")
	r.refs.Store(1)
	fd, err := openat(r.baseZ, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC)
	if err == syscall.EMFILE || err == syscall.ENFILE || err == syscall.EINTR {
		return nil
	}
	if err != nil {
		return r
	}
	var st syscall.Stat_t
	if syscall.Fstat(fd, &st) != nil {
		syscall.Close(fd)
		return r
	}
	id := idOf(&st)
	r.fd, r.dev, r.ino, r.local = fd, id.dev, id.ino, localFS(fd)
	r.checked.Store(monoNow())
	return r
}

// closeRoots lets go of every root directory held (see rootDir): each is
// closed once no request uses it.
func (fl *Files) closeRoots() {
	for loc, r := range fl.roots.All() {
		if fl.roots.CompareAndDelete(loc, r) && r.fd >= 0 {
			r.release()
		}
	}
}

// rootTable maps a *config.Location to its *rootDir. It is read by every
// request under disable_symlinks on and written only when a root is
// opened, replaced or let go of, so a reader loads an immutable map
// without a lock and a writer replaces it with a changed copy. A
// sync.Map cost each request the hash of an interface and a walk of
// its trie (runtime.nilinterhash, internal/sync.HashTrieMap.Load in
// issue 17's profile); a map keyed by the pointer costs one lookup.
type rootTable struct {
	m  atomic.Pointer[map[*config.Location]*rootDir]
	mu sync.Mutex // held by writers
}

// Load returns loc's root, if it has one.
func (t *rootTable) Load(loc *config.Location) (*rootDir, bool) {
	m := t.m.Load()
	if m == nil {
		return nil, false
	}
	r, ok := (*m)[loc]
	return r, ok
}

// LoadOrStore returns loc's root if it has one (loaded), else stores r.
func (t *rootTable) LoadOrStore(loc *config.Location, r *rootDir) (actual *rootDir, loaded bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if old, ok := t.Load(loc); ok {
		return old, true
	}
	t.replaceLocked(func(m map[*config.Location]*rootDir) { m[loc] = r })
	return r, false
}

// CompareAndDelete removes loc's root if it is r, and reports whether it
// did.
func (t *rootTable) CompareAndDelete(loc *config.Location, r *rootDir) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if old, ok := t.Load(loc); !ok || old != r {
		return false
	}
	t.replaceLocked(func(m map[*config.Location]*rootDir) { delete(m, loc) })
	return true
}

// All returns the roots held now (a snapshot).
func (t *rootTable) All() map[*config.Location]*rootDir {
	if m := t.m.Load(); m != nil {
		return *m
	}
	return nil
}

// replaceLocked stores a copy of the map changed by edit.
func (t *rootTable) replaceLocked(edit func(map[*config.Location]*rootDir)) {
	m := make(map[*config.Location]*rootDir)
	for k, v := range t.All() {
		m[k] = v
	}
	edit(m)
	t.m.Store(&m)
}

// openBeneath opens the file at pathZ (route.AppendFilePath of loc)
// relative to loc's root with the kernel refusing any resolution out of
// it. ok is false when this cannot decide (no openat2, no root, a path not
// under the root's, or EXDEV: a symlink the kernel will not follow beneath
// the root though it may end inside it): the caller opens by path and
// checks the descriptor (inside).
func (fl *Files) openBeneath(loc *config.Location, pathZ []byte) (f file, ok bool, err error) {
	r := fl.rootOf(loc)
	if r == nil {
		return file{}, false, nil
	}
	defer r.release()
	base := r.base
	p := pathZ[:len(pathZ)-1]
	if !bytes.HasPrefix(p, base) {
		return file{}, false, nil
	}
	var relZ []byte
	switch rest := p[len(base):]; {
	case len(rest) == 0:
		relZ = dotZ
	case rest[0] == '/' && len(rest) > 1:
		relZ = pathZ[len(base)+1:]
	default:
		return file{}, false, nil
	}
	var fd int
	if r.local {
		fd, err = openat2BeneathCached(r.fd, relZ, syscall.O_RDONLY|syscall.O_CLOEXEC|syscall.O_NONBLOCK)
	} else {
		fd, err = openat2Beneath(r.fd, relZ, syscall.O_RDONLY|syscall.O_CLOEXEC|syscall.O_NONBLOCK)
	}
	for err == syscall.EINTR {
		fd, err = openat2Beneath(r.fd, relZ, syscall.O_RDONLY|syscall.O_CLOEXEC|syscall.O_NONBLOCK)
	}
	// Compared as a syscall.Errno, not as an error: each comparison of
	// interfaces is a call (runtime.ifaceeq in issue 17's profile).
	errno, _ := err.(syscall.Errno)
	switch {
	case err == nil:
	case errno == syscall.EXDEV:
		return file{}, false, nil
	case errno == syscall.ENOSYS:
		haveOpenat2.Store(false) // a kernel or sandbox without it
		return file{}, false, nil
	case errno == syscall.EPERM:
		// Some seccomp sandboxes refuse system calls they do not know
		// with EPERM: let the plain open decide (open gives up on
		// openat2 if that one succeeds).
		return file{}, false, errOpenat2Refused
	default:
		return file{}, true, openError(pathZ, err)
	}
	// A file of another file system mounted inside the root is read and
	// closed as any other (fstatFile).
	f, err = fstatFile(fd, pathZ, r.local, r.dev)
	return f, true, err
}

var dotZ = []byte(".\x00")

// errOpenat2Refused: openat2 failed with EPERM (see openBeneath).
var errOpenat2Refused = errors.New("static: openat2 refused")
