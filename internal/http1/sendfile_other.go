//go:build !linux

package http1

import "syscall"

// canSendfile: elsewhere SendFile reads with pread and writes (copyFile);
// the BSDs' sendfile(2) reports partial progress differently on a
// non-blocking socket, and the portable path is good enough there. The
// head and body go out through the connection's own writev.
const canSendfile = false

// sendfileOp is never run here (canSendfile is false).
type sendfileOp struct {
	in   int
	off  int64
	n    int
	done int
	err  error
	raw  bool
	wait WaitHook
}

func (op *sendfileOp) do(s uintptr) bool { return true }

// writevOp is never run here (canSendfile is false).
// maxIovecs bounds the buffers of a raw writev (unused here).
const maxIovecs = 4

type writevOp struct{ more bool }

const canSendMore = false

func (op *writevOp) do(s uintptr) bool { return true }

func (w *ResponseWriter) writevRaw(rc syscall.RawConn, bufs [][]byte) (int64, error) {
	return 0, syscall.ENOSYS
}
