//go:build !linux

package static

import (
	"sync/atomic"
	"syscall"
)

// No openat2 here: disable_symlinks on opens by path and checks the
// descriptor (root.go, inside).
var haveOpenat2 atomic.Bool

func openat2Beneath(dirfd int, relZ []byte, flags int) (int, error) { return -1, syscall.ENOSYS }

func openat2BeneathCached(dirfd int, relZ []byte, flags int) (int, error) {
	return -1, syscall.ENOSYS
}
