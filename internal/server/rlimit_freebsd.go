package server

import (
	"math"
	"syscall"
)

// setRlimit sets the soft limit to n and the hard one to at least n
// (Rlimit's fields are int64 on FreeBSD).
func setRlimit(rl *syscall.Rlimit, n uint64) {
	v := int64(math.MaxInt64)
	if n < math.MaxInt64 {
		v = int64(n)
	}
	rl.Cur = v
	if v > rl.Max {
		rl.Max = v
	}
}
