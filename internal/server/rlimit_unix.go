//go:build !freebsd

package server

import "syscall"

// setRlimit sets the soft limit to n and the hard one to at least n
// (Rlimit's fields are uint64 here, int64 on FreeBSD).
func setRlimit(rl *syscall.Rlimit, n uint64) {
	rl.Cur = n
	if n > rl.Max {
		rl.Max = n
	}
}
