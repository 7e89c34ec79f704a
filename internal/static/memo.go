package static

import "sync/atomic"

// memo remembers header values by the numbers they are formatted from
// (a file's mtime and size for its validators; a range and the size for
// Content-Range), so that the requests of a site, which ask for the same
// files and ranges again and again, do not allocate a new string for
// each. The value is a pure function of its key: an entry is never
// stale, only replaced by another key hashing to its slot.
const memoSlots = 512 // power of two

type memoEntry struct {
	a, b, c int64
	s       string
	n       int // where the first of two values in s ends
}

type memo [memoSlots]atomic.Pointer[memoEntry]

func memoSlot(a, b, c int64) uint64 {
	h := uint64(a)*0x9e3779b97f4a7c15 ^ uint64(b)*0xc2b2ae3d27d4eb4f ^ uint64(c)*0x165667b19e3779f9
	return (h ^ h>>29) & (memoSlots - 1)
}

// get returns the entry for the key, or nil.
func (m *memo) get(a, b, c int64) *memoEntry {
	if e := m[memoSlot(a, b, c)].Load(); e != nil && e.a == a && e.b == b && e.c == c {
		return e
	}
	return nil
}

func (m *memo) put(e *memoEntry) { m[memoSlot(e.a, e.b, e.c)].Store(e) }

var validatorMemo, rangeMemo memo
