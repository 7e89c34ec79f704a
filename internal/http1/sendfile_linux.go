package http1

import "syscall"

// canSendfile: SendFile uses sendfile(2) on the socket's descriptor.
const canSendfile = true

// sendfileOp is one SendFile slice in progress, run by RawConn.Write.
type sendfileOp struct {
	in   int   // the file
	off  int64 // where the next byte comes from; the kernel advances it
	n    int   // bytes to send
	done int   // bytes sent
	err  error
}

// do is the RawConn.Write callback: sendfile with an explicit offset until
// the slice is sent. On EAGAIN (the socket buffer is full) it returns
// false, and the poller waits for the socket to become writable (or the
// write deadline to pass) before calling it again.
func (op *sendfileOp) do(s uintptr) bool {
	for op.done < op.n {
		m, err := syscall.Sendfile(int(s), op.in, &op.off, op.n-op.done)
		if m > 0 {
			op.done += m
		}
		switch err {
		case nil:
			if m == 0 {
				return true // end of file: it shrank under us
			}
		case syscall.EINTR:
		case syscall.EAGAIN:
			return false
		default:
			op.err = err
			return true
		}
	}
	return true
}
