package server

import (
	"net"
	"sync"
	"syscall"
	"time"
)

// Accepting in the event loops. A connection that carries one request
// (`Connection: close`, or a client that never reuses one) used to cost
// an accept goroutine's Accept — accept4, then a net.TCPConn registered
// with the runtime's poller, its local address looked up, TCP_NODELAY —
// a hand-over to a worker goroutine, a read that usually found nothing
// yet and a wait in the runtime's poller, and at the close an epoll_ctl
// to unregister it. nginx's worker accepts in its event loop, reads the
// request when epoll says so and closes the socket, and that is what a
// loop does here: a plain TCP listener sits in every loop's epoll set
// (level-triggered: each loop that finds it readable accepts a few
// connections), and a loop serves the connections it accepts itself,
// their first request as their next ones (loop.go), each held as a bare
// descriptor (fdConn) that meets the runtime's poller only if it must
// wait.
//
// TLS, PROXY protocol and HTTP/2 with prior knowledge leave the loop for
// a goroutine of their own, as they did before; so does a connection
// that finds no free max_connections slot, whose wait (takeSlot) may
// close idle connections to make room, while the loops stop accepting on
// its listener until it has one.

// listenTag marks a listener's events in a loop's epoll set (the event's
// upper 32 bits of user data): its descriptor number may equal a
// connection's in another set of bookkeeping.
const listenTag = 1

// maxAcceptBatch is how many connections a loop accepts for one event
// before it serves the rest of what is ready (the listener is
// level-triggered: it is reported again while connections wait).
const maxAcceptBatch = 8

// loopAccept makes the event loops accept on l; false if they cannot
// (no loops, not a TCP listener), and then an accept goroutine must.
func (s *Server) loopAccept(l *listener) bool {
	tl, ok := l.ln.(*net.TCPListener)
	if !ok {
		return false
	}
	loopFor(-1)
	if len(theLoops) == 0 {
		return false
	}
	rc, err := tl.SyscallConn()
	if err != nil {
		return false
	}
	l.rc = rc
	rc.Control(func(fd uintptr) { l.lfd = int32(fd) })
	loopListeners.Lock()
	loopListeners.m[l.lfd] = l
	loopListeners.Unlock()
	l.mu.Lock()
	err = l.loopCtl(syscall.EPOLL_CTL_ADD)
	if err != nil {
		// A loop may have an event from a set the ADD reached before
		// it failed: paused, it leaves the listener to acceptLoop.
		l.paused.Store(true)
		l.closing = true
	}
	l.mu.Unlock()
	if err != nil {
		l.dropLoops()
		return false
	}
	return true
}

// loopCtl adds l's socket to every loop's epoll set, or deletes it.
// l.mu is held.
func (l *listener) loopCtl(op int) error {
	var err error
	cerr := l.rc.Control(func(fd uintptr) {
		for i, lp := range theLoops {
			// EPOLLEXCLUSIVE wakes one of the sets that have a thread
			// in epoll_wait: a loop blocked in its own (after a busy
			// wake-up, loop_linux.go). A loop that waits through the
			// runtime's poller has its set polled by the runtime's, so
			// a new connection makes every such loop's set readable,
			// and the loops that find nothing to accept have made one
			// epoll_pwait and one accept4 for nothing. As nginx
			// registers it.
			ev := syscall.EpollEvent{Events: syscall.EPOLLIN | epollExclusive, Fd: int32(fd), Pad: listenTag}
			e := syscall.EpollCtl(lp.epfd, op, int(fd), &ev)
			if e != nil && op == syscall.EPOLL_CTL_ADD && e != syscall.EEXIST {
				for _, undo := range theLoops[:i] {
					syscall.EpollCtl(undo.epfd, syscall.EPOLL_CTL_DEL, int(fd), nil)
				}
				err = e
				return
			}
		}
	})
	if cerr != nil {
		return cerr
	}
	return err
}

// pause takes l out of the loops' epoll sets (a level-triggered listener
// that nobody accepts on would be reported again and again); closing
// says it is for good. It reports whether l was in them.
func (l *listener) pause(closing bool) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closing = l.closing || closing
	if l.paused.Load() {
		return false
	}
	l.loopCtl(syscall.EPOLL_CTL_DEL)
	l.paused.Store(true)
	return true
}

// resume puts l back in the loops' epoll sets, unless it is closing.
func (l *listener) resume() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.paused.Load() || l.closing || l.srv.inShutdown.Load() {
		return
	}
	if err := l.loopCtl(syscall.EPOLL_CTL_ADD); err != nil {
		// Out of memory or of epoll watches (max_user_watches): try
		// again later, as after an accept error.
		l.srv.Log.Warn("cannot resume accepting; retrying", "addr", l.addr, "err", err, "delay", resumeRetry)
		time.AfterFunc(resumeRetry, l.resume)
		return
	}
	l.paused.Store(false)
}

// resumeRetry is how long resume waits before trying again.
const resumeRetry = time.Second

// epollExclusive is EPOLLEXCLUSIVE (Linux 4.5), which package syscall
// does not name.
const epollExclusive = 1 << 28

// unloop takes l out of the loops before it is closed: its descriptor
// number may be reused at once, and a listener whose socket is still
// open elsewhere (a process started on a binary upgrade) would stay in
// the epoll sets, level-triggered, with nobody to accept.
func (l *listener) unloop() {
	if l.rc == nil {
		return
	}
	l.pause(true)
	l.dropLoops()
}

// loopListeners are the listeners the loops accept on, by descriptor:
// the same in every loop's epoll set.
var loopListeners = struct {
	sync.Mutex
	m map[int32]*listener
}{m: make(map[int32]*listener)}

func (l *listener) dropLoops() {
	loopListeners.Lock()
	if loopListeners.m[l.lfd] == l {
		delete(loopListeners.m, l.lfd)
	}
	loopListeners.Unlock()
}

// listenerOn returns the listener on descriptor fd that the loops accept
// on, or nil.
func listenerOn(fd int32) *listener {
	loopListeners.Lock()
	defer loopListeners.Unlock()
	return loopListeners.m[fd]
}

// accept accepts up to maxAcceptBatch connections on the listener on fd
// and serves each one's first request. It reports whether the calling
// goroutine is still the loop (see run).
func (lp *evloop) accept(fd int32) bool {
	l := listenerOn(fd)
	if l == nil || l.paused.Load() {
		return true
	}
	s := l.srv
	for range maxAcceptBatch {
		var sa syscall.RawSockaddrInet6 // the larger of the two families
		var nfd int
		var errno syscall.Errno
		if err := l.rc.Control(func(lfd uintptr) { nfd, errno = rawAccept4(lfd, &sa) }); err != nil {
			return true // closed
		}
		switch errno {
		case 0:
			if l.backoff.Load() != 0 {
				l.backoff.Store(0)
			}
		case syscall.EAGAIN:
			return true
		case syscall.EINTR, syscall.ECONNABORTED:
			continue
		default:
			s.acceptFailed(l, errno)
			return true
		}
		rw := newFDConn(nfd, &sa)
		sem := s.state.Load().sem
		select {
		case sem <- struct{}{}:
		default:
			// No free slot: stop accepting here until this client has
			// one (takeSlot waits, and may close idle connections).
			l.pause(false)
			rw.NoDelay()
			go s.admit(l, rw, sem)
			return true
		}
		c := s.accepted(l, rw, sem)
		if c == nil {
			return true
		}
		if f := s.state.Load().listens[l.addr]; f.ssl || f.proxyProtocol {
			rw.NoDelay()
			s.startConn(c, true) // prepare waits for a handshake or header
			continue
		}
		// Served here; it parks in its own loop (loopFor: by
		// descriptor, so that connections spread over the loops).
		lp.served.Add(1)
		gen := lp.gen.Load()
		c.serving = lp
		c.run(false)
		if lp.gen.Load() != gen {
			return lp.spare() // c took this goroutine (leave)
		}
	}
	return true
}

// admit waits for a slot for a connection the loops accepted on l when
// none was free, serves it in a goroutine of its own, and has the loops
// accept on l again.
func (s *Server) admit(l *listener, rw net.Conn, sem chan struct{}) {
	ok := s.takeSlot(sem)
	l.resume()
	if !ok {
		rw.Close() // shutdown began
		return
	}
	if c := s.accepted(l, rw, sem); c != nil {
		s.startConn(c, true)
	}
}

// acceptFailed handles an accept error in a loop. A temporary one (out
// of descriptors or memory) would be reported again at once by the
// level-triggered listener: the loops leave it alone for a while, backing
// off as acceptLoop does. Any other stops the listener, as there.
func (s *Server) acceptFailed(l *listener, errno syscall.Errno) {
	if !isTemporary(errno) {
		// For good: no admit's resume brings it back.
		if l.pause(true) {
			s.Log.Error("accept failed; listener stopped", "addr", l.addr, "err", errno)
		}
		return
	}
	if !l.pause(false) {
		return // another loop is handling it
	}
	backoff := time.Duration(l.backoff.Load())
	if backoff == 0 {
		backoff = 5 * time.Millisecond
	} else {
		backoff = min(2*backoff, time.Second)
	}
	l.backoff.Store(int64(backoff))
	s.Log.Warn("accept error; retrying", "addr", l.addr, "err", errno, "delay", backoff)
	time.AfterFunc(backoff, l.resume)
}
