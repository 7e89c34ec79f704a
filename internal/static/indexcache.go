package static

import (
	"math/bits"
	"sync/atomic"
	"syscall"
	"time"

	"webserv/internal/config"
	"webserv/internal/http1"
)

// The index cache: which index file a directory URL ("/", "/docs/")
// resolved to, so that a site's root costs no open of the directory and no
// failed opens of the index names before the one that exists. An entry
// is keyed, like the small-file cache's, by location and clean URL path,
// and is used only while a stat of the directory's path gives the identity
// (device, inode, mode, mtime, ctime) the opened directory had when the
// entry was made: creating, removing or renaming any name in the directory
// changes its mtime and ctime, and a directory replaced (by another, or by
// a symlink) is another inode; so the resolution is never stale. The index
// file itself is then opened, or found in the small-file cache under the
// directory's URL (an entry marked byIndex, which only this path uses),
// with that cache's own freshness check; disable_symlinks on holds as
// there: an entry is made only after the index file passed the check.
//
// A directory changed less than racyWindow ago is not cached (a name made
// in the same clock tick as the stat would not change the identity seen).
// An entry is made at a directory URL's second request, as a small file's
// (admit): a crawler walking a thousand directories once each does not
// push out the site's root. (Its doorkeeper key is another hash of the
// URL than its index file's under the same URL, so that the one does not
// admit the other within a request.)
const indexSlots = 256 // power of two

type indexEntry struct {
	loc   *config.Location
	path  string // the directory's clean URL path, ending in "/"
	dirZ  []byte // the directory's path, NUL-terminated
	dir   fileID
	fileZ []byte // the index file's path, NUL-terminated
	raw   bool   // the directory is on its root's local file system (statChecked)
	// checked is the http1.CoarseUnix of the last check found fresh.
	checked atomic.Int64
}

func (fl *Files) indexSlot(urlPath string) *atomic.Pointer[indexEntry] {
	return &fl.index[fl.hash(urlPath)&(indexSlots-1)]
}

// cachedIndex returns the fresh index entry of the directory URL under
// loc, or nil; a stale one is dropped.
func (fl *Files) cachedIndex(loc *config.Location, urlPath string) *indexEntry {
	slot := fl.indexSlot(urlPath)
	e := slot.Load()
	if e == nil || e.loc != loc || e.path != urlPath {
		return nil
	}
	var st syscall.Stat_t
	if statChecked(e.raw, &e.checked, e.dirZ, &st) != nil || idOf(&st) != e.dir {
		slot.CompareAndSwap(e, nil)
		return nil
	}
	return e
}

// dropIndex removes e if it is still in its slot (its file went wrong).
func (fl *Files) dropIndex(e *indexEntry) { fl.indexSlot(e.path).CompareAndSwap(e, nil) }

// storeIndex records that the directory dir (opened at dirPath, with the
// identity of its fstat) resolved to the index file at fileZ; raw says
// the directory is on its root's local file system (file.raw).
func (fl *Files) storeIndex(loc *config.Location, urlPath, dirPath string, dir *fileID, fileZ []byte, raw bool) {
	if !fl.settled(dir) || !fl.admitHash(bits.RotateLeft64(fl.hash(urlPath), 32)) {
		return
	}
	e := &indexEntry{
		loc:   loc,
		path:  urlPath,
		dirZ:  append([]byte(dirPath), 0),
		dir:   *dir,
		fileZ: append([]byte(nil), fileZ...),
		raw:   raw,
	}
	e.checked.Store(http1.CoarseUnix())
	fl.indexSlot(urlPath).Store(e)
}

// settled reports whether a file of this identity last changed at least
// racyWindow ago (fl.racyWindow: see Options.CacheNew).
func (fl *Files) settled(id *fileID) bool {
	w := fl.racyWindow
	now := time.Now()
	return now.Sub(time.Unix(int64(id.mtim.Sec), int64(id.mtim.Nsec))) >= w &&
		now.Sub(time.Unix(int64(id.ctim.Sec), int64(id.ctim.Nsec))) >= w
}

func (fl *Files) resetIndexCache() {
	for i := range fl.index {
		fl.index[i].Store(nil)
	}
}
