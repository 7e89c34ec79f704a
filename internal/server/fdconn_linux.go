package server

import (
	"errors"
	"io"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"webserv/internal/rawio"
)

// fdConn is a TCP connection that an event loop accepted itself
// (loop_linux.go), held as its bare descriptor. net.Listener.Accept
// gives every connection a net.TCPConn, and with it a registration in
// the runtime's poller (epoll_ctl to add, and again to delete at the
// close), a getsockname for its local address, two allocations and a
// finalizer: about a sixth of what a connection that carries one request
// costs us. Most connections never wait on the runtime's poller — a loop
// reads their requests when its own epoll set says so, and their
// responses fit the send buffer — so fdConn makes that registration only
// when a read or write must wait, or a deadline is set (wait): the
// descriptor then becomes a non-blocking *os.File, which the runtime
// polls with deadlines like any socket, and every later call goes
// through it.
//
// Until then its calls are raw system calls on the descriptor, which is
// non-blocking, so none of them can wait. The descriptor is counted
// (refs) while one is under way: a Close from another goroutine
// (shutdown, reclaim) marks the connection closed and leaves the
// close(2) itself to the last call, so that no call ever reaches a
// descriptor number that the kernel has given to another file since.
type fdConn struct {
	fd int
	// state: closedBit once Close was called, plus refsOne per raw call
	// under way.
	state atomic.Uint64
	shut  atomic.Bool // the descriptor (or file) is closed
	// nodelay: TCP_NODELAY is set (NoDelay).
	nodelay atomic.Bool

	// tl is set for TLS served by an event loop (SetWaiter).
	tl *fdTLS
	// ops is made by the first Read or Write (opsOnce).
	ops     *fdOps
	opsOnce sync.Once

	mu   sync.Mutex
	file atomic.Pointer[os.File] // made by wait; it owns fd from then on
	frc  syscall.RawConn         // file's

	// The peer's address from accept4, as it came (room for either
	// family: sockaddr_in6 is the larger).
	peer   syscall.RawSockaddrInet6
	laddr  net.Addr
	raddr  net.Addr
	laddrM sync.Once
	raddrM sync.Once
}

const (
	closedBit = 1
	refsOne   = 2
)

// fdTLS is what an fdConn beneath TLS served by an event loop
// (conn.loopWait), which reads and writes through crypto/tls, needs:
// noWait makes a read that finds nothing return errWouldBlock instead of
// waiting, and waiter is told before a read or write waits, so that the
// loop is handed over first. Only the goroutine that owns the connection
// reads and writes through TLS (other goroutines close the socket beneath
// the TLS layer: conn.sockClose). Apart from fdConn, so that plain
// connections do not carry it.
type fdTLS struct {
	noWait bool
	nwRead int // bytes read under noWait (NoWaitRead)
	waiter loopWaiter
}

// fdOps is the state of a Read and of a Write in progress, for their
// RawConn callbacks (made once, on the first Read or Write: a plain
// connection is read by internal/rawio and written by http1's writev
// and sendfile through SyscallConn, and most never need it).
type fdOps struct {
	rmu     sync.Mutex // Reads in turn, as net.TCPConn's
	rb      []byte
	rn      int
	rerr    error
	readFn  func(uintptr) bool
	wmu     sync.Mutex // each Write whole, as net.TCPConn's
	wb      []byte
	wn      int
	werr    error
	writeFn func(uintptr) bool
}

func newFDConn(fd int, peer *syscall.RawSockaddrInet6) *fdConn {
	return &fdConn{fd: fd, peer: *peer}
}

// incref counts a raw call on the descriptor; false: it is closed.
func (c *fdConn) incref() bool {
	for {
		s := c.state.Load()
		if s&closedBit != 0 {
			return false
		}
		if c.state.CompareAndSwap(s, s+refsOne) {
			return true
		}
	}
}

// decref ends a raw call, closing the descriptor if Close came meanwhile
// and this was the last.
func (c *fdConn) decref() {
	if c.state.Add(^uint64(refsOne-1)) == closedBit {
		c.release()
	}
}

// release closes the descriptor (through its file, once there is one),
// exactly once.
func (c *fdConn) release() {
	if c.shut.Swap(true) {
		return
	}
	c.mu.Lock()
	f := c.file.Load()
	c.mu.Unlock()
	if f != nil {
		f.Close()
	} else {
		// Raw: the close of a socket without SO_LINGER waits for
		// nothing, and through syscall.Syscall it woke the runtime's
		// monitor thread for every connection at a moderate load
		// (internal/static, rawStatZ).
		rawio.Close(c.fd)
	}
}

// Close closes the connection. Calls waiting in the runtime's poller
// return at once (the file's Close wakes them); a raw call under way
// finishes first, on a descriptor still its own.
func (c *fdConn) Close() error {
	for {
		s := c.state.Load()
		if s&closedBit != 0 {
			return net.ErrClosed
		}
		if c.state.CompareAndSwap(s, s|closedBit) {
			if s == 0 {
				c.release()
			}
			return nil
		}
	}
}

// wait returns the connection's file, making it on first use: from here
// on the runtime's poller waits for the descriptor.
func (c *fdConn) wait() (*os.File, syscall.RawConn, error) {
	if f := c.file.Load(); f != nil {
		return f, c.frc, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if f := c.file.Load(); f != nil {
		return f, c.frc, nil
	}
	if c.state.Load()&closedBit != 0 || c.shut.Load() {
		return nil, nil, net.ErrClosed
	}
	// The descriptor is non-blocking (accept4 SOCK_NONBLOCK), so NewFile
	// registers it with the runtime's poller. The file owns it now: its
	// Close (release) closes it.
	f := os.NewFile(uintptr(c.fd), "tcp")
	rc, err := f.SyscallConn()
	if err != nil {
		return nil, nil, err
	}
	c.frc = rc
	c.file.Store(f)
	return f, rc, nil
}

// opError dresses an error as the net package's connections return
// theirs: callers look for net.ErrClosed, timeouts and errnos.
func (c *fdConn) opError(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, os.ErrClosed):
		err = net.ErrClosed
	case errors.Is(err, os.ErrDeadlineExceeded):
		err = os.ErrDeadlineExceeded
	default:
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		if errno, ok := err.(syscall.Errno); ok {
			err = os.NewSyscallError(op, errno)
		}
	}
	return &net.OpError{Op: op, Net: "tcp", Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: err}
}

// Read and Write run their system calls as RawConn callbacks (fdRaw):
// on the bare descriptor, and once one must wait, through the file,
// whose poller waits with the deadlines.
func (c *fdConn) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	op := c.fdOps()
	op.rmu.Lock()
	defer op.rmu.Unlock()
	op.rb = b
	err := (*fdRaw)(c).Read(op.readFn)
	n, rerr := op.rn, op.rerr
	op.rb, op.rn, op.rerr = nil, 0, nil
	if err == nil {
		err = rerr
	}
	if err != nil && err != io.EOF && err != errWouldBlock {
		err = c.opError("read", err)
	}
	return n, err
}

func (c *fdConn) Write(b []byte) (int, error) {
	op := c.fdOps()
	op.wmu.Lock()
	defer op.wmu.Unlock()
	op.wb = b
	err := (*fdRaw)(c).Write(op.writeFn)
	n, werr := op.wn, op.werr
	op.wb, op.wn, op.werr = nil, 0, nil
	if err == nil {
		err = werr
	}
	return n, c.opError("write", err)
}

func (c *fdConn) fdOps() *fdOps {
	c.opsOnce.Do(func() {
		c.ops = new(fdOps)
		c.ops.readFn, c.ops.writeFn = c.read, c.write
	})
	return c.ops
}

// read is Read's callback: one read(2); false (wait) when there is
// nothing yet, unless noWait says to return errWouldBlock instead.
func (c *fdConn) read(fd uintptr) bool {
	op := c.ops
	for {
		n, _, e := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&op.rb[0])), uintptr(len(op.rb)))
		switch {
		case e == 0 && n > 0:
			op.rn = int(n)
			if c.tl != nil && c.tl.noWait {
				c.tl.nwRead += int(n)
			}
		case e == 0:
			op.rerr = io.EOF
		case e == syscall.EINTR:
			continue
		case e != syscall.EAGAIN:
			op.rerr = e
		case c.tl != nil && c.tl.noWait:
			op.rerr = errWouldBlock
		default:
			if c.tl != nil {
				c.tl.waiter.loopWillWait()
			}
			return false
		}
		return true
	}
}

// write is Write's callback: write(2) until all is written; false (wait)
// on a full send buffer, the waiter told first.
func (c *fdConn) write(fd uintptr) bool {
	op := c.ops
	for op.wn < len(op.wb) {
		n, _, e := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(&op.wb[op.wn])), uintptr(len(op.wb)-op.wn))
		switch e {
		case 0:
			op.wn += int(n)
		case syscall.EINTR:
		case syscall.EAGAIN:
			if c.tl != nil {
				c.tl.waiter.loopWillWait()
			}
			return false
		default:
			op.werr = e
			return true
		}
	}
	return true
}

// SetNoWait turns noWait on or off (conn.loopWait).
func (c *fdConn) SetNoWait(on bool) { c.tl.noWait, c.tl.nwRead = on, 0 }

// NoWaitRead reports the bytes read since SetNoWait(true).
func (c *fdConn) NoWaitRead() int { return c.tl.nwRead }

// SetWaiter sets the waiter, once, before the connection is shared.
func (c *fdConn) SetWaiter(w loopWaiter) { c.tl = &fdTLS{waiter: w} }

// errWouldBlock is a noWait read that found nothing. It is a temporary
// net.Error, which crypto/tls passes on without failing the connection
// (a partial record stays in its buffer for the next read).
var errWouldBlock error = wouldBlock{}

type wouldBlock struct{}

func (wouldBlock) Error() string   { return "server: read would block" }
func (wouldBlock) Timeout() bool   { return true }
func (wouldBlock) Temporary() bool { return true }

// NoDelay sets TCP_NODELAY, which net.TCPConn sets on every connection,
// once a connection is to be kept alive or waits in a goroutine of its
// own (conn.noDelay): its responses may be written in several pieces (a
// head, then a file; ranges; a program's output as it comes), each of
// which must leave at once rather than wait for the client's
// acknowledgement of the one before. A response followed by the close
// needs no flag (the close sends what is queued), so a connection that
// carries one request (Connection: close) pays no setsockopt.
func (c *fdConn) NoDelay() {
	if c.nodelay.Load() || c.nodelay.Swap(true) {
		return
	}
	(*fdRaw)(c).Control(func(fd uintptr) {
		syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_NODELAY, 1)
	})
}

// CloseWrite shuts down the sending side (a lingering close, http1.CloseWrite).
func (c *fdConn) CloseWrite() error {
	if f := c.file.Load(); f != nil {
		var err error
		if cerr := c.rawErr(c.frc.Control(func(fd uintptr) { err = syscall.Shutdown(int(fd), syscall.SHUT_WR) })); cerr != nil {
			err = cerr
		}
		return c.opError("shutdown", err)
	}
	if !c.incref() {
		return c.opError("shutdown", net.ErrClosed)
	}
	defer c.decref()
	return c.opError("shutdown", syscall.Shutdown(c.fd, syscall.SHUT_WR))
}

// Deadlines need the runtime's poller; clearing one that was never set
// does not.
func (c *fdConn) SetDeadline(t time.Time) error {
	return c.setDeadline(t, (*os.File).SetDeadline)
}

func (c *fdConn) SetReadDeadline(t time.Time) error {
	return c.setDeadline(t, (*os.File).SetReadDeadline)
}

func (c *fdConn) SetWriteDeadline(t time.Time) error {
	return c.setDeadline(t, (*os.File).SetWriteDeadline)
}

func (c *fdConn) setDeadline(t time.Time, set func(*os.File, time.Time) error) error {
	f := c.file.Load()
	if f == nil {
		if t.IsZero() {
			return nil
		}
		var err error
		if f, _, err = c.wait(); err != nil {
			return c.opError("set", err)
		}
	}
	return c.opError("set", set(f, t))
}

func (c *fdConn) LocalAddr() net.Addr {
	c.laddrM.Do(func() {
		if !c.incref() {
			return
		}
		sa, err := syscall.Getsockname(c.fd)
		c.decref()
		if err != nil {
			return
		}
		switch a := sa.(type) {
		case *syscall.SockaddrInet4:
			c.laddr = &net.TCPAddr{IP: append(net.IP(nil), a.Addr[:]...), Port: a.Port}
		case *syscall.SockaddrInet6:
			var p syscall.RawSockaddrInet6
			p.Family, p.Port, p.Addr, p.Scope_id = syscall.AF_INET6, ntohs(uint16(a.Port)), a.Addr, a.ZoneId
			c.laddr = tcpAddr(&p)
		}
	})
	if c.laddr == nil {
		return &net.TCPAddr{}
	}
	return c.laddr
}

func (c *fdConn) RemoteAddr() net.Addr {
	c.raddrM.Do(func() { c.raddr = tcpAddr(&c.peer) })
	if c.raddr == nil {
		return &net.TCPAddr{}
	}
	return c.raddr
}

// tcpAddr is a socket address, held in a sockaddr_in6 whatever its
// family, as the net package gives it (its IP 4 or 16 bytes long, as the
// family says, so that String prints what a net.TCPConn's does).
func tcpAddr(p *syscall.RawSockaddrInet6) net.Addr {
	switch p.Family {
	case syscall.AF_INET:
		p4 := (*syscall.RawSockaddrInet4)(unsafe.Pointer(p))
		ip := make(net.IP, 4)
		copy(ip, p4.Addr[:])
		return &net.TCPAddr{IP: ip, Port: int(ntohs(p4.Port))}
	case syscall.AF_INET6:
		ip := make(net.IP, 16)
		copy(ip, p.Addr[:])
		zone := ""
		if p.Scope_id != 0 {
			if ifi, err := net.InterfaceByIndex(int(p.Scope_id)); err == nil {
				zone = ifi.Name
			} else {
				zone = strconv.Itoa(int(p.Scope_id))
			}
		}
		return &net.TCPAddr{IP: ip, Port: int(ntohs(p.Port)), Zone: zone}
	}
	return nil
}

// ntohs: the port is in network byte order.
func ntohs(p uint16) uint16 {
	b := (*[2]byte)(unsafe.Pointer(&p))
	return uint16(b[0])<<8 | uint16(b[1])
}

// SyscallConn gives the descriptor to raw readers and writers
// (internal/rawio, http1's writev and sendfile).
func (c *fdConn) SyscallConn() (syscall.RawConn, error) { return (*fdRaw)(c), nil }

// fdRaw is fdConn's syscall.RawConn: its callbacks run on the bare
// descriptor, and one that must wait (returns false) runs again through
// the file, whose poller waits.
type fdRaw fdConn

func (r *fdRaw) Control(f func(fd uintptr)) error {
	c := (*fdConn)(r)
	if c.file.Load() != nil {
		return c.rawErr(c.frc.Control(f))
	}
	if !c.incref() {
		return net.ErrClosed
	}
	defer c.decref()
	f(uintptr(c.fd))
	return nil
}

func (r *fdRaw) Read(f func(fd uintptr) bool) error {
	return r.io(f, false)
}

func (r *fdRaw) Write(f func(fd uintptr) bool) error {
	return r.io(f, true)
}

func (r *fdRaw) io(f func(fd uintptr) bool, write bool) error {
	c := (*fdConn)(r)
	if c.file.Load() == nil {
		if !c.incref() {
			return net.ErrClosed
		}
		done := f(uintptr(c.fd))
		c.decref()
		if done {
			return nil
		}
	}
	_, rc, err := c.wait()
	if err != nil {
		return err
	}
	if write {
		return c.rawErr(rc.Write(f))
	}
	return c.rawErr(rc.Read(f))
}

// rawErr is the file's RawConn error as a net.TCPConn's: after Close,
// net.ErrClosed, which callers look for (dispatch, h2), where the file
// says "use of closed file".
func (c *fdConn) rawErr(err error) error {
	if err != nil && c.state.Load()&closedBit != 0 && !errors.Is(err, os.ErrDeadlineExceeded) {
		return net.ErrClosed
	}
	return err
}
