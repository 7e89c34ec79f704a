//go:build linux && amd64

package static

// sysPreadv2 is preadv2(2)'s number (the syscall package has none).
const sysPreadv2 = 327
