package compress

import (
	"sync/atomic"
)

// The variant cache, which nginx does not have: the compressed bytes of a
// small file, per coding, so that a hot style.css is compressed once
// instead of on every request (nginx compresses every time unless a
// precompressed file sits beside the original). A variant is keyed by the
// identity of the file version it was made from — device, inode, mode,
// size, mtime and ctime, the same proof of freshness as static's
// small-file cache (internal/static/cache.go) — and by coding and level:
// the static handler hands the identity from the fstat of the file it is
// sending (or from its small-file cache's fresh entry), so a variant can
// only match the very version it was made from; any write, truncation,
// chmod or replacement changes the identity and the old variant is never
// used again (it stays until evicted or replaced in its slot).
//
// The table is direct-mapped and lock-free, as static's is, so that a hit
// costs a hash and an atomic load and allocates nothing.
const (
	variantSlots = 1024 // power of two
	// variantBudget bounds the bytes of compressed variants held: at the
	// three-to-five-fold ratio of text, 16 MiB holds the variants of some
	// 50 MiB of originals.
	variantBudget = 16 << 20
	// MaxVariantSource is the largest original whose variants are kept:
	// a site's pages, styles and scripts are below it, and a larger file
	// would crowd out many of them (its variant is made on every
	// request, as nginx makes all of them).
	MaxVariantSource = 1 << 20
)

// FileID identifies one version of a file (see the comment above).
type FileID struct {
	Dev, Ino     uint64
	Mode         uint32
	Size         int64
	Mtime, Ctime int64 // nanoseconds since the epoch
}

type variantKey struct {
	id     FileID
	coding Coding
	level  uint8 // gzip level; 0 for the others
}

type variant struct {
	key  variantKey
	etag string // the coded ETag of the response (codedETag)
	body []byte // the whole compressed body
}

// Cache holds compressed variants of small files. The zero value is an
// empty cache ready for use; a Server owns one.
type Cache struct {
	table [variantSlots]atomic.Pointer[variant]
	bytes atomic.Int64 // of every body in table
}

func (c *Cache) slot(k *variantKey) *atomic.Pointer[variant] {
	// The inode tells files apart; the other fields only versions of one.
	h := (k.id.Ino ^ k.id.Dev<<32 ^ uint64(k.id.Mtime)) * 0x9e3779b97f4a7c15
	h ^= uint64(k.coding)<<56 | uint64(k.level)<<48
	h ^= h >> 29
	return &c.table[h&(variantSlots-1)]
}

// get returns the variant for k, or nil.
func (c *Cache) get(k *variantKey) *variant {
	if c == nil {
		return nil
	}
	if v := c.slot(k).Load(); v != nil && v.key == *k {
		return v
	}
	return nil
}

// put stores v unless the budget, counting the variant it replaces, is
// spent.
func (c *Cache) put(v *variant) {
	if c == nil {
		return
	}
	slot := c.slot(&v.key)
	old := slot.Load()
	delta := int64(len(v.body))
	if old != nil {
		delta -= int64(len(old.body))
	}
	if c.bytes.Load()+delta > variantBudget {
		return
	}
	if slot.CompareAndSwap(old, v) {
		c.bytes.Add(delta)
	}
}

// Len returns the bytes of compressed variants held.
func (c *Cache) Len() int64 { return c.bytes.Load() }
