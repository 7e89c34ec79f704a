package cgi

import (
	"io"
	"os"
	"syscall"
	"unsafe"
)

// The reads of a program's output, the close of its stderr pipe and the
// reaping of a program that has exited are made by RawSyscall: none of
// them can block (the descriptors are non-blocking, the poller waits on
// EAGAIN, and wait4 is asked with WNOHANG first), so they need none of
// the runtime's syscall bookkeeping, whose entersyscall wakes the
// runtime's monitor thread (sysmon) after every idle moment. With CGI the
// processors go idle on every program; each wake-up costs sysmon a run of
// 20µs sleeps. (internal/server reads requests the same way.)

// pipeReader reads the parent's end of a pipe through its
// syscall.RawConn, with the file's read deadline, as os.File.Read does:
// io.EOF at the end, os.ErrDeadlineExceeded past the deadline.
type pipeReader struct {
	rc  syscall.RawConn
	fn  func(fd uintptr) bool // do, bound once
	b   []byte
	n   int
	err error
}

// bind makes r read f.
func (r *pipeReader) bind(f *os.File) {
	rc, _ := f.SyscallConn() // fails only for a closed or nil file
	r.rc, r.fn = rc, r.do
}

func (r *pipeReader) Read(b []byte) (int, error) {
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

func (r *pipeReader) do(fd uintptr) bool {
	for {
		n, e := rawRead(int(fd), r.b)
		switch e {
		case nil:
			if r.n = n; n == 0 {
				r.err = io.EOF
			}
			return true
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return false // wait for readability (or the deadline)
		}
		r.err = os.NewSyscallError("read", e)
		return true
	}
}

// rawRead is read(2) on a non-blocking descriptor; b is not empty.
func rawRead(fd int, b []byte) (int, error) {
	n, _, e := syscall.RawSyscall(syscall.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)))
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}

// rawClose is close(2) of a pipe end, which cannot block.
func rawClose(fd int) {
	syscall.RawSyscall(syscall.SYS_CLOSE, uintptr(fd), 0, 0)
}

// reaped reports whether wait4 with WNOHANG reaped pid: it has exited.
func reaped(pid int) bool {
	var ws syscall.WaitStatus
	r, _, _ := syscall.RawSyscall6(syscall.SYS_WAIT4, uintptr(pid), uintptr(unsafe.Pointer(&ws)), syscall.WNOHANG, 0, 0, 0)
	return int(r) == pid
}
