//go:build !linux

package http1

// canSendfile: elsewhere SendFile reads with pread and writes (copyFile);
// the BSDs' sendfile(2) reports partial progress differently on a
// non-blocking socket, and the portable path is good enough there.
const canSendfile = false

// sendfileOp is never run here (canSendfile is false).
type sendfileOp struct {
	in   int
	off  int64
	n    int
	done int
	err  error
}

func (op *sendfileOp) do(s uintptr) bool { return true }
