package server

import (
	"io"
	"syscall"
	"unsafe"
)

// rawReader reads a plain TCP connection through its syscall.RawConn,
// with read(2) made by RawSyscall: the socket is non-blocking (EAGAIN
// hands the wait to the runtime's poller, with the read deadline, as
// net.Conn.Read does), so the call cannot block and needs none of the
// runtime's syscall bookkeeping. That keeps a keep-alive request's
// system calls from waking the runtime's monitor thread (see
// internal/http1, sendfile_linux.go, for the cost). Errors are as
// net.Conn.Read's: io.EOF at the end, a *net.OpError for a deadline or a
// closed connection, the bare errno otherwise.
type rawReader struct {
	rc  syscall.RawConn
	fn  func(fd uintptr) bool // do, bound once
	b   []byte
	n   int
	err error
	// nowait: EAGAIN is errWouldBlock instead of a wait (an event loop's
	// read, loop.go). short: the last read returned less than asked for,
	// so it emptied the socket's receive queue.
	nowait bool
	short  bool
}

// canRawRead: connections read through rawReader here.
const canRawRead = true

// bind makes r read rc (nil: none).
func (r *rawReader) bind(rc syscall.RawConn) {
	r.rc = rc
	r.nowait, r.short = false, false
	if r.fn == nil {
		r.fn = r.do
	}
}

func (r *rawReader) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	r.b, r.n, r.err = b, 0, nil
	err := r.rc.Read(r.fn)
	r.b = nil
	if err != nil {
		return 0, err
	}
	return r.n, r.err
}

func (r *rawReader) do(fd uintptr) bool {
	for {
		n, _, e := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&r.b[0])), uintptr(len(r.b)))
		switch e {
		case 0:
			if r.n = int(n); n == 0 {
				r.err = io.EOF
			}
			r.short = r.n < len(r.b)
			return true
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			if r.nowait {
				r.err = errWouldBlock
				return true
			}
			return false // wait for readability (or the deadline)
		}
		r.err = e
		return true
	}
}
