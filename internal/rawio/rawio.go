// Package rawio reads a descriptor the runtime polls (a socket, a pipe)
// through its syscall.RawConn, with read(2) made by RawSyscall on Linux.
//
// The descriptor is non-blocking, so the read cannot block: EAGAIN hands
// the wait to the runtime's poller, with the file's read deadline, as
// net.Conn.Read and os.File.Read do. Skipping the runtime's syscall
// bookkeeping keeps a read from waking the runtime's monitor thread
// (sysmon) after every idle moment, a measurable share of a keep-alive
// request's and a CGI program's CPU. internal/server reads requests this
// way, internal/cgi a program's output.
package rawio

import (
	"errors"
	"io"
	"os"
	"syscall"
)

// ErrWouldBlock is a NoWait read finding nothing to read.
var ErrWouldBlock = errors.New("rawio: read would block")

// Reader reads the descriptor behind a syscall.RawConn. Errors are as
// net.Conn's and os.File's: io.EOF at the end, the poller's error for a
// deadline or a closed descriptor, a *os.SyscallError otherwise.
type Reader struct {
	rc  syscall.RawConn
	fn  func(fd uintptr) bool // do, bound once
	b   []byte
	n   int
	err error
	// NoWait: EAGAIN is ErrWouldBlock instead of a wait (an event loop's
	// read). Short: the last read returned less than asked for, so it
	// emptied a socket's receive queue.
	NoWait bool
	Short  bool
}

// Bind makes r read rc (nil: none), and clears NoWait and Short.
func (r *Reader) Bind(rc syscall.RawConn) {
	r.rc = rc
	r.NoWait, r.Short = false, false
	if r.fn == nil {
		r.fn = r.do
	}
}

func (r *Reader) Read(b []byte) (int, error) {
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

func (r *Reader) do(fd uintptr) bool {
	for {
		n, err := Read(int(fd), r.b)
		switch err {
		case nil:
			if r.n = n; n == 0 {
				r.err = io.EOF
			}
			r.Short = n < len(r.b)
			return true
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			if r.NoWait {
				r.err = ErrWouldBlock
				return true
			}
			return false // wait for readability (or the deadline)
		}
		r.err = os.NewSyscallError("read", err)
		return true
	}
}
