package server

import (
	"bufio"
	"errors"
	"net"
	"syscall"
	"time"
	"unsafe"
	"weak"

	"webserv/internal/http1"
)

// SetTestHookServe installs f to run at the start of every request of s
// and returns a function that removes it.
func SetTestHookServe(s *Server, f func(*http1.Request)) (restore func()) {
	s.testHookServe.Store(&f)
	return func() { s.testHookServe.Store(nil) }
}

// Parked reports how many connections are parked (park.go), across all
// servers in the process.
func Parked() int {
	p := getParker()
	if p == nil {
		return -1
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.conns)
}

// SetTrim makes the parker trim after burst parks and quiet of d (see
// park.go) and returns a function restoring the defaults. The parker is
// the process's: tests using it must not run in parallel.
func SetTrim(burst int64, d time.Duration) (restore func()) {
	p := getParker()
	b, q := p.trimBurst.Swap(burst), p.trimQuiet.Swap(int64(d))
	return func() { p.trimBurst.Store(b); p.trimQuiet.Store(q) }
}

// Trims reports how many times the parker gave memory back.
func Trims() int64 { return getParker().trims.Load() }

// PoolReader puts a read buffer of size bytes in the pool s's connections
// take theirs from (idle.go), as a connection that parks does, and returns
// a weak pointer to it: nil once the buffer has been collected.
func PoolReader(s *Server, size int) weak.Pointer[bufio.Reader] {
	br := bufio.NewReaderSize(nil, size)
	wp := weak.Make(br)
	s.readers.put(br)
	return wp
}

// IdleWorkers reports how many of s's connection goroutines wait for a
// new connection (workers.go): tests that count goroutines to see what
// the server is doing leave them out.
func IdleWorkers(s *Server) int { return int(s.idleWorkers.Load()) }

// SoReusePort is the socket option reuseport sets (reuseport_*.go).
const SoReusePort = soReusePort

// ReclaimOnArrival makes s reclaim idle connections, as a shortage of
// max_connections slots does, each time a request arrives for one of its
// connections that has served a request, before that connection claims
// it (reclaim.go, arrived). It returns a function removing the hook.
func ReclaimOnArrival(s *Server) (restore func()) {
	hook := func(c *conn) {
		if c.nreq > 0 {
			c.srv.reclaim(c.sem)
		}
	}
	s.testHookArrived.Store(&hook)
	return func() { s.testHookArrived.Store(nil) }
}

// ParkedOn reports how many of s's connections are parked (park.go), or
// -1 if connections cannot park here.
func ParkedOn(s *Server) int {
	if getParker() == nil {
		return -1
	}
	return int(s.parked.Load())
}

// DrainTime bounds discarding an unread request body (http1.Body).
const DrainTime = http1.DrainTime

// CacheNew, given to servertest.Start, lets s's small-file and index
// caches take files however recently they changed: a test's files are
// always new, and would otherwise be cached only a second later
// (static.Options.CacheNew).
func CacheNew(s *Server) { s.fileOpts.CacheNew = true }

// CGIWholeWait, given to servertest.Start, makes s wait up to d for a CGI
// program's whole output (cgi.Runner.WholeWait).
func CGIWholeWait(d time.Duration) func(*Server) {
	return func(s *Server) { s.runner.WholeWait = d }
}

// ConnSize is the size of a connection's own state, what each parked
// connection keeps on the heap besides the socket's (conn.go).
const ConnSize = unsafe.Sizeof(conn{})

// Busy reports how many of s's connections are reading a request or
// writing a response (the status page's webserv_connections_active).
func Busy(s *Server) int {
	open, waiting := s.connCounts()
	return open - waiting
}

// LoopServed reports how many times the event loops (loop.go) have served
// a connection themselves, and handed the loop to a new goroutine (left);
// ok is false where there are none.
func LoopServed() (n, left int64, ok bool) { return loopServed() }

// LoopBlocked reports how many times event loop i (LoopOf) has been woken
// from a wait in epoll_pwait, which a loop makes after a busy wake-up.
func LoopBlocked(i int) int64 { return loopBlocked(i) }

// LoopYields reports how many times event loop i (LoopOf) has yielded its
// CPU after serving for a while without a wait.
func LoopYields(i int) int64 { return loopYields(i) }

// SetLoopYieldAfter makes the loops yield after d without a wait (see
// yieldAfter) until the returned restore runs.
func SetLoopYieldAfter(d time.Duration) (restore func()) {
	old := yieldAfterNS.Swap(int64(d))
	return func() { yieldAfterNS.Store(old) }
}

// IsParked reports whether the server's end of client, a connection to
// s, is parked (in the parker or a loop).
func IsParked(s *Server, client net.Conn) bool {
	c := connOf(s, client)
	return c != nil && c.parked.Load()
}

// LoopOf reports which event loop the server's end of client, a
// connection to s, parks in (-1: none, or not found).
func LoopOf(s *Server, client net.Conn) int {
	if c := connOf(s, client); c != nil {
		return loopIndex(c.fd)
	}
	return -1
}

// connOf returns the server's end of client, a connection to s, or nil.
func connOf(s *Server, client net.Conn) *conn {
	want := client.LocalAddr().String()
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		if c.rwc.RemoteAddr().String() == want {
			return c
		}
	}
	return nil
}

// LoopAccepted reports whether an event loop accepted the server's end
// of client itself (accept_linux.go), rather than net.Listener.Accept.
func LoopAccepted(s *Server, client net.Conn) bool {
	c := connOf(s, client)
	if c == nil {
		return false
	}
	_, ok := c.rwc.(interface{ NoDelay() })
	return ok
}

// NoDelay reports whether TCP_NODELAY is set on the server's end of
// client.
func NoDelay(s *Server, client net.Conn) (bool, error) {
	c := connOf(s, client)
	if c == nil {
		return false, errors.New("connection not found on the server")
	}
	var v int
	var err error
	if cerr := c.rc.Control(func(fd uintptr) {
		v, err = syscall.GetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_NODELAY)
	}); cerr != nil {
		return false, cerr
	}
	return v != 0, err
}
