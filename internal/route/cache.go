package route

import (
	"hash/maphash"
	"sync/atomic"
)

// The clean-path cache. CleanPath is a pure function of the raw path, and
// a site's traffic asks for the same few hundred paths again and again, so
// its result is kept: a hit costs one hash and one comparison and, unlike
// converting the bytes to a string, allocates nothing (issue 9: no
// allocation per request on the static path in steady state).
//
// The table is direct-mapped (each raw path has one slot, a newer path
// evicts an older one), lock-free (a slot is an atomic pointer to an
// immutable entry) and bounded: cleanSlots entries of paths no longer than
// maxCachedPath.
const (
	cleanSlots    = 4096 // power of two
	maxCachedPath = 256
)

type cleanEntry struct {
	raw   string // the raw path, the key
	clean string
}

var (
	cleanSeed  = maphash.MakeSeed()
	cleanTable [cleanSlots]atomic.Pointer[cleanEntry]
)

// cachedClean returns the cached clean form of raw and its slot.
func cachedClean(raw []byte) (clean string, slot *atomic.Pointer[cleanEntry], ok bool) {
	if len(raw) > maxCachedPath {
		return "", nil, false
	}
	slot = &cleanTable[maphash.Bytes(cleanSeed, raw)&(cleanSlots-1)]
	if e := slot.Load(); e != nil && e.raw == string(raw) {
		return e.clean, slot, true
	}
	return "", slot, false
}
