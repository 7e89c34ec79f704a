package http1

import (
	"syscall"
	"unsafe"
)

// canSendfile: SendFile uses sendfile(2) on the socket's descriptor, and
// a response's head and body leave with writev(2) on it (writevOp).
const canSendfile = true

// Both run inside RawConn.Write on the socket, which Go keeps
// non-blocking: a full send buffer is EAGAIN, and the poller waits for
// the socket to become writable. So neither call can block, and they are
// made with RawSyscall, without the runtime's entersyscall/exitsyscall.
// That matters more than the few nanoseconds it saves: every
// entersyscall made while all processors were idle wakes the runtime's
// monitor thread (sysmon), which then polls every 20 µs for at least a
// millisecond — about one nanosleep(2) per request on a keep-alive
// benchmark, with the context switches and timer interrupts each costs.
// The reads of the request (internal/server, internal/rawio) and the
// static handler's file calls (internal/static) avoid it the same way.

// sendfileOp is one SendFile slice in progress, run by RawConn.Write.
type sendfileOp struct {
	in   int   // the file
	off  int64 // where the next byte comes from; the kernel advances it
	n    int   // bytes to send
	done int   // bytes sent
	err  error
	// raw: the region is in the page cache of a local file system
	// (SendCachedFile), so sendfile cannot block reading it either.
	raw  bool
	wait WaitHook // told before the poller waits (ResponseWriter.Waiting)
}

// do is the RawConn.Write callback: sendfile with an explicit offset until
// the slice is sent. On EAGAIN (the socket buffer is full) it returns
// false, and the poller waits for the socket to become writable (or the
// write deadline to pass) before calling it again.
func (op *sendfileOp) do(s uintptr) bool {
	for op.done < op.n {
		var m int
		var err error
		if op.raw {
			r, _, e := syscall.RawSyscall6(syscall.SYS_SENDFILE, s, uintptr(op.in), uintptr(unsafe.Pointer(&op.off)), uintptr(op.n-op.done), 0, 0)
			if m = int(r); e != 0 {
				m, err = 0, e
			}
		} else {
			// Reading the file may wait for the disk: the runtime must
			// know this thread may block.
			m, err = syscall.Sendfile(int(s), op.in, &op.off, op.n-op.done)
		}
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
			if op.wait != nil {
				op.wait.WillWait()
			}
			return false
		default:
			op.err = err
			return true
		}
	}
	return true
}

// maxIovecs is the most buffers sendHead hands writev at once: the head,
// and a chunk's size line, data and CRLF.
const maxIovecs = 4

// writevOp is one writev of sendHead's buffers in progress, run by
// RawConn.Write.
type writevOp struct {
	iov  [maxIovecs]syscall.Iovec
	next int // first iovec not fully written
	cnt  int // iovecs in use
	left int // bytes still to write
	done int // bytes written
	err  error
	wait WaitHook // told before the poller waits (ResponseWriter.Waiting)
	// more: the buffers are a head whose body follows with sendfile at
	// once; they are sent with MSG_MORE (sendmsg(2), canSendMore), which
	// holds them in the socket until the body's first bytes join them.
	more bool
}

// do is the RawConn.Write callback: writev until every buffer is written;
// false on EAGAIN, for the poller to wait for room.
func (op *writevOp) do(s uintptr) bool {
	for op.left > 0 {
		var r uintptr
		var e syscall.Errno
		if op.more {
			r, e = sendmsgMore(s, &op.iov[op.next], op.cnt-op.next) // sendmore_linux_64.go
		} else {
			r, _, e = syscall.RawSyscall(syscall.SYS_WRITEV, s, uintptr(unsafe.Pointer(&op.iov[op.next])), uintptr(op.cnt-op.next))
		}
		switch e {
		case 0:
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			if op.wait != nil {
				op.wait.WillWait()
			}
			return false
		default:
			op.err = e
			return true
		}
		m := int(r)
		op.done += m
		op.left -= m
		for m > 0 && op.next < op.cnt {
			v := &op.iov[op.next]
			if uint64(m) < uint64(v.Len) {
				v.Base = (*byte)(unsafe.Add(unsafe.Pointer(v.Base), m))
				v.SetLen(int(uint64(v.Len)) - m)
				break
			}
			m -= int(v.Len)
			op.next++
		}
	}
	return true
}

// writevRaw writes bufs (at most maxIovecs, not all empty) to the socket
// behind rc, returning the bytes written.
func (w *ResponseWriter) writevRaw(rc syscall.RawConn, bufs [][]byte) (int64, error) {
	op := &w.wv
	op.next, op.cnt, op.left, op.done, op.err, op.wait = 0, 0, 0, 0, nil, w.Waiting
	for _, b := range bufs {
		if len(b) > 0 {
			op.iov[op.cnt] = syscall.Iovec{Base: &b[0]}
			op.iov[op.cnt].SetLen(len(b))
			op.cnt++
			op.left += len(b)
		}
	}
	if w.wvFn == nil {
		w.wvFn = op.do
	}
	err := rc.Write(w.wvFn)
	if err == nil {
		err = op.err
	}
	op.iov = [maxIovecs]syscall.Iovec{} // hold no buffer past the call
	op.wait = nil
	return int64(op.done), err
}
