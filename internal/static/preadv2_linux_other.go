//go:build linux && !amd64 && !arm64

package static

// sysPreadv2: unused where files are never read raw (localFS: 64-bit
// only); readCached then reads nothing.
const sysPreadv2 = 0
