package static

import (
	"hash/maphash"
	"sync/atomic"
	"time"

	"webserv/internal/fspolicy"
)

// Files is the static file handler of one configuration: it serves files
// (Serve) and holds what serving them keeps between requests — the
// small-file cache (cache.go), the index cache (indexcache.go), the root
// directories open for disable_symlinks (root.go) and the resolved roots
// (fspolicy.Bases). The server makes one with each configuration it loads
// and closes it when that configuration is retired, so that two servers
// in one process, or two configurations of one server, share none of it:
// an entry is never served by a server it does not belong to, and
// retiring one never closes another's descriptors.
type Files struct {
	seed        maphash.Seed
	cache       [cacheSlots]atomic.Pointer[cacheEntry]
	cachedBytes atomic.Int64
	evictions   atomic.Uint64           // entries evicted by others: the round robin of victim
	door        [doorBuckets]doorBucket // paths seen lately (admit)
	index       [indexSlots]atomic.Pointer[indexEntry]

	// roots maps a *config.Location to its *rootDir (root.go).
	roots rootTable
	// closed: Close has run; no root directory is opened any more (the
	// requests still in flight open by path).
	closed atomic.Bool

	bases fspolicy.Bases

	// racyWindow: a file changed less than this long ago is not cached
	// (cache.go).
	racyWindow time.Duration
}

// Options tune a Files.
type Options struct {
	// CacheNew caches files however recently they changed (no
	// racyWindow). For tests, whose files are always new: a server could
	// cache a file being rewritten in place half-written.
	CacheNew bool
}

// New returns a Files with empty caches. Nothing is opened until a
// request needs it.
func New(o Options) *Files {
	fl := &Files{seed: maphash.MakeSeed(), racyWindow: racyWindow}
	if o.CacheNew {
		fl.racyWindow = 0
	}
	return fl
}

func (fl *Files) hash(path string) uint64 { return maphash.String(fl.seed, path) }

// Bases returns the resolved roots of the configuration, for the other
// handlers that apply disable_symlinks (CGI).
func (fl *Files) Bases() *fspolicy.Bases { return &fl.bases }

// Close retires the configuration's files: the caches are emptied and
// every root directory held is let go of, each closed once the requests
// using it are done (root.go). Requests still in flight are served
// without the caches' help, and open by path. Close may be called more
// than once.
func (fl *Files) Close() {
	fl.closed.Store(true)
	fl.closeRoots()
	fl.resetCache()
}
