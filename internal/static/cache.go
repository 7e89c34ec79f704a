package static

import (
	"sync/atomic"
	"syscall"
	"time"

	"webserv/internal/config"
	"webserv/internal/http1"
)

// The small-file cache, in the spirit of lighttpd's stat cache and nginx's
// open_file_cache, for the requests a site sees most: the same small pages,
// styles and icons again and again. An entry holds what a response needs
// (the file's bytes, its validators and type) keyed by location and clean
// URL path, and a hit costs one stat(2) and no allocation, where a miss
// costs open, fstat, (readlink for disable_symlinks), read and close plus
// the strings for the path and validators, which are what the static path
// spends its time on.
//
// Freshness: every hit stats the file's path (following symlinks, as the
// open did) and is used only if device, inode, mode, size, mtime and ctime
// are all unchanged; any write, truncation, chmod or replacement of the
// file changes ctime at least, and a replacement changes the inode, so a
// changed file is never served from the cache — there is no validity
// window, unlike nginx's open_file_cache_valid. (That needs the bytes
// stored to be the ones the identity describes: see racyWindow for files
// written while they are read.) disable_symlinks on stays
// exact: an entry is stored only after the opened file passed the check,
// and a hit is the same inode, whose content was already found inside the
// root. (The stat follows the path as it is now: a directory above the
// file moved out of the root and replaced by a symlink to it still leads
// to the same inode, which the entry keeps answering for, bytes or
// metadata, until the file changes; a GET that takes the full path and
// finds it refused drops a meta entry.)
//
// Only regular files reached directly by their URL (or as the index file
// of a directory URL, validated by the directory too: indexcache.go), no
// larger than smallFile and unchanged for a second (racyWindow) are
// cached. The table is lock-free like route's clean-path cache, and the
// bytes it holds are bounded by cacheBudget. It belongs to one Files
// (files.go): one configuration of one server.
//
// A path may take any of the cacheWays slots of its set (the table is
// set-associative): with one slot per path, two of a page's assets that
// hash alike — among 64 paths in 1024 slots, in most runs — evict each
// other on every request and both take the uncached path for good.
const (
	cacheSlots  = 1024 // power of two
	cacheWays   = 4    // slots a path may take; a power of two
	cacheBudget = 8 << 20
)

// meta is what a response says about a regular file.
type meta struct {
	size          int64
	mod           time.Time
	etag, lastMod string
	ctype         string
	fid           fileID // the file's identity (compress.go; zero if unknown)
}

// fileID identifies one version of a file.
type fileID struct {
	dev, ino   uint64
	mode       uint32
	size       int64
	mtim, ctim syscall.Timespec
}

// idOf (statz_linux.go, statz_bsd.go) reads a fileID from a stat.

type cacheEntry struct {
	loc   *config.Location
	path  string // clean URL path
	pathZ []byte // the file's path, NUL-terminated (statZ)
	id    fileID
	meta
	body []byte
	// byIndex: the entry is the index file of the directory URL path
	// (indexcache.go), which only the index path looks up.
	byIndex bool
	// metaOnly: the entry is a larger file's metadata without its bytes
	// (a meta entry, see storeMeta), for the answers that need none.
	metaOnly bool
	// raw: the file is on its root's local file system (file.raw): its
	// freshness check is a raw stat (rawStatZ) while checked is recent.
	raw     bool
	checked atomic.Int64 // http1.CoarseUnix of the last check found fresh
	// used: the entry answered a request since the last eviction in its
	// set (victim).
	used atomic.Bool
}

// cacheSet returns the slots an entry for path may take.
func (fl *Files) cacheSet(path string) []atomic.Pointer[cacheEntry] {
	i := fl.hash(path) & (cacheSlots/cacheWays - 1) * cacheWays
	return fl.cache[i : i+cacheWays]
}

// lookup returns the slot holding urlPath's entry under loc and the
// entry (fresh or not), or nils.
func (fl *Files) lookup(loc *config.Location, urlPath string) (*atomic.Pointer[cacheEntry], *cacheEntry) {
	set := fl.cacheSet(urlPath)
	for i := range set {
		if e := set[i].Load(); e != nil && e.loc == loc && e.path == urlPath {
			return &set[i], e
		}
	}
	return nil, nil
}

// victim returns the slot a new entry for urlPath under loc takes: the
// one holding its old entry, else an empty one, else the one whose entry
// is cheapest to lose. An entry that answered a request since the set's
// last eviction (used) goes after one that did not — a second chance, as
// in CLOCK, so that a long tail of files asked for twice does not push
// out the pages asked for all the time — and a meta entry (made again
// with an open) before a small file's (a read too). Ties go to the
// eviction counter's slot or the next after it: round robin within the
// set, so that the same slot is not always the one to go.
func (fl *Files) victim(loc *config.Location, urlPath string) *atomic.Pointer[cacheEntry] {
	set := fl.cacheSet(urlPath)
	if slot, _ := fl.lookup(loc, urlPath); slot != nil {
		return slot
	}
	rr := fl.evictions.Load()
	best, cost := rr&(cacheWays-1), 4
	for k := range uint64(cacheWays) {
		i := (rr + k) & (cacheWays - 1)
		e := set[i].Load()
		if e == nil {
			return &set[i]
		}
		c := 0
		if !e.metaOnly {
			c++
		}
		if e.used.Load() {
			c += 2
		}
		if c < cost {
			best, cost = i, c
		}
	}
	return &set[best]
}

// cached returns the fresh entry for urlPath under loc, or nil. An entry
// found stale is dropped at once, so that it neither lingers in the
// budget nor costs a stat on every later request.
func (fl *Files) cached(loc *config.Location, urlPath string) *cacheEntry {
	slot, e := fl.lookup(loc, urlPath)
	if e == nil || e.byIndex {
		return nil
	}
	return fl.fresh(slot, e)
}

// cachedIndexFile returns the fresh small-file entry of the index file
// at fileZ of the directory URL path, or nil.
func (fl *Files) cachedIndexFile(loc *config.Location, urlPath string, fileZ []byte) *cacheEntry {
	slot, e := fl.lookup(loc, urlPath)
	if e == nil || !e.byIndex || string(e.pathZ) != string(fileZ) {
		return nil
	}
	return fl.fresh(slot, e)
}

// fresh returns e if its file is unchanged, else drops it and returns nil.
func (fl *Files) fresh(slot *atomic.Pointer[cacheEntry], e *cacheEntry) *cacheEntry {
	var st syscall.Stat_t
	if statChecked(e.raw, &e.checked, e.pathZ, &st) != nil || idOf(&st) != e.id {
		if slot.CompareAndSwap(e, nil) {
			fl.cachedBytes.Add(-int64(len(e.body)))
		}
		return nil // changed or gone: the caller takes the full path
	}
	if !e.used.Load() {
		e.used.Store(true) // once between evictions: no shared write per hit
	}
	return e
}

// statChecked stats pathZ, with rawStatZ when raw (a file under a local
// root) and checked says the path was walked in the last second, so that
// the walk cannot wait for the disk; else with statZ. checked becomes
// now; the caller drops the entry if the stat fails or differs.
func statChecked(raw bool, checked *atomic.Int64, pathZ []byte, st *syscall.Stat_t) error {
	now := http1.CoarseUnix()
	last := checked.Load()
	var err error
	raw = raw && now-last <= 1
	if h := testHookStat.Load(); h != nil {
		(*h)(raw)
	}
	if raw {
		err = rawStatZ(pathZ, st)
	} else {
		err = statZ(pathZ, st)
	}
	if last != now {
		checked.Store(now) // once a second: no shared write per request
	}
	return err
}

// testHookStat, when set (tests), is told whether each freshness check is
// made raw.
var testHookStat atomic.Pointer[func(raw bool)]

// racyWindow: a file changed this recently is not cached (git's "racy"
// rule). The kernel stamps mtime and ctime when a write starts and has a
// clock tick of granularity, so a file being rewritten in place at its
// own size can be read half-old, half-new between two fstat calls that
// agree; cached, those bytes would be served until the file changed
// again. After racyWindow no write can still be under way with the same
// timestamps, so what is read then is what the identity describes.
// (Options.CacheNew sets it to 0 for tests, whose files are always new.)
const racyWindow = time.Second

// cacheable reports whether a file of this identity may be stored now
// for urlPath: the file is not racily new, and the budget has room once
// the slot's present entry is gone.
func (fl *Files) cacheable(loc *config.Location, urlPath string, id *fileID) bool {
	if fl.cachedBytes.Load()+delta(fl.victim(loc, urlPath), id.size) > cacheBudget {
		return false
	}
	return fl.settled(id)
}

// Admission: a small file goes into the cache at its second request in a
// while, not its first (the "doorkeeper" of TinyLFU; nginx's
// open_file_cache_min_uses 2). A site with more small files than the
// cache has slots, asked for evenly — a gallery, a crawler walking every
// page — would otherwise evict an entry and allocate another (its bytes,
// path and validators) on nearly every request, for entries evicted in
// turn before they are asked for again, and push out the pages asked for
// all the time: over 20,000 files of 2–5 KiB requested at random, that
// was a tenth of the server's CPU per request. The doorkeeper keeps path
// fingerprints in buckets of doorWays: a cacheable miss records its
// path's, over the bucket's oldest, and is cached if it was already
// there. A file asked for again before doorWays other paths' misses
// landed in its bucket gets in: within a thousand other misses, 98 times
// in 100. (With one fingerprint per bucket, two paths of one bucket
// asked for in turn — a page's assets, fetched in the same order each
// time — would each erase the other's and never get in.)
const (
	doorBits    = 10 // log2 of the buckets
	doorBuckets = 1 << doorBits
	doorWays    = 4 // a power of two
)

// doorBucket holds the fingerprints of the last doorWays paths recorded
// in it; next is where the next one goes.
type doorBucket struct {
	fp   [doorWays]atomic.Uint32
	next atomic.Uint32
}

// admit reports whether urlPath was a cacheable miss lately, and records
// that it is one now.
func (fl *Files) admit(urlPath string) bool { return fl.admitHash(fl.hash(urlPath)) }

// admitHash is admit for a path of hash h.
func (fl *Files) admitHash(h uint64) bool {
	// The top bits pick the bucket (cacheSet takes the low ones); the
	// fingerprint is other bits, never 0 (an empty way).
	b := &fl.door[h>>(64-doorBits)]
	fp := uint32(h>>16) | 1
	for i := range b.fp {
		if b.fp[i].Load() == fp {
			return true
		}
	}
	// Concurrent misses may take one way twice: one fingerprint is lost,
	// and its path gets in a request later.
	b.fp[(b.next.Add(1)-1)&(doorWays-1)].Store(fp)
	return false
}

// delta is what storing size bytes in slot adds to the cached bytes.
func delta(slot *atomic.Pointer[cacheEntry], size int64) int64 {
	if old := slot.Load(); old != nil {
		return size - int64(len(old.body))
	}
	return size
}

// store caches body (the whole content of f, read after the fstat that
// gave f's identity) unless the file changed meanwhile or the budget,
// counting the entry it replaces, is spent.
func (fl *Files) store(loc *config.Location, urlPath string, f *file, m *meta, body []byte, byIndex bool) {
	slot := fl.victim(loc, urlPath)
	if fl.cachedBytes.Load()+delta(slot, int64(len(body))) > cacheBudget {
		return
	}
	var st syscall.Stat_t
	if syscall.Fstat(f.fd, &st) != nil || idOf(&st) != f.id {
		return // written to while we read it
	}
	e := newEntry(loc, urlPath, f, m)
	e.body, e.byIndex = body, byIndex
	fl.place(slot, e)
}

// newEntry returns an entry for the file f reached by urlPath under loc,
// described by m, checked just now.
func newEntry(loc *config.Location, urlPath string, f *file, m *meta) *cacheEntry {
	e := &cacheEntry{loc: loc, path: urlPath, pathZ: append([]byte(nil), f.pathZ...), id: f.id, meta: *m, raw: f.raw}
	e.checked.Store(http1.CoarseUnix())
	return e
}

// place puts e in slot (from victim), counting its bytes in and those of
// the entry it replaces out.
func (fl *Files) place(slot *atomic.Pointer[cacheEntry], e *cacheEntry) {
	fl.cachedBytes.Add(int64(len(e.body)))
	if old := slot.Swap(e); old != nil {
		fl.cachedBytes.Add(-int64(len(old.body)))
		if old.loc != e.loc || old.path != e.path {
			fl.evictions.Add(1) // the set's next victim is another slot
			// Each entry of the set must be asked for again to outlast
			// the next eviction.
			for i, set := 0, fl.cacheSet(e.path); i < len(set); i++ {
				if o := set[i].Load(); o != nil && o.used.Load() {
					o.used.Store(false)
				}
			}
		}
	}
}

// Meta entries. A file above smallFile is not cached, but what a response
// says about it is: an entry without its bytes (metaOnly) answers what
// needs none — a HEAD, a conditional GET answered 304 — with one stat of
// its path and no open, fstat or close, and spares a GET the type and
// validators of a file it finds unchanged (serveFile). The same freshness
// check as the small files' holds: the stat must give the identity the
// opened file had. With no bytes, no racy window applies: what is stored
// is what an fstat of the file now would say. A meta entry is admitted as
// a small file is (admit), and takes a slot as it does (victim), where it
// goes before a small file's entry asked for as lately; its bytes are not
// counted in the budget (they are bounded by the slots). (Taking only an
// empty slot, as meta entries once did, left a file asked for all the
// time outside for good once a long tail of small files had filled its
// set.)

// storeMeta caches m, the metadata of the file f larger than smallFile
// reached by urlPath, if urlPath was asked for lately (admit).
func (fl *Files) storeMeta(loc *config.Location, urlPath string, f *file, m *meta) {
	if !fl.admit(urlPath) {
		return
	}
	e := newEntry(loc, urlPath, f, m)
	e.metaOnly = true
	fl.place(fl.victim(loc, urlPath), e)
}

// resetCache empties the small-file and index caches: their entries
// hold the configuration's locations and their bytes.
func (fl *Files) resetCache() {
	fl.resetIndexCache()
	for i := range fl.cache {
		if old := fl.cache[i].Swap(nil); old != nil {
			fl.cachedBytes.Add(-int64(len(old.body)))
		}
	}
}
