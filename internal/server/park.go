package server

import (
	"errors"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"
)

// Parking idle keep-alive connections.
//
// A connection waiting for its next request needs nothing but its socket,
// yet a goroutine blocked in a read keeps its stack (4–8 KiB once a
// request has been served), which dominates the cost of thousands of idle
// keep-alive connections. A parked connection has no goroutine at all:
// its descriptor sits in a poller of our own, registered one-shot (an
// epoll set with EPOLLONESHOT on Linux, park_linux.go; a kqueue with
// EV_ONESHOT on macOS and FreeBSD, park_bsd.go), one goroutine waits on
// that poller for all of them, and a runtime timer enforces
// keepalive_timeout. When bytes arrive the connection is handed
// to a new goroutine that resumes the serve loop; when the timer fires,
// or shutdown closes idle connections, it is closed. Exactly one of the
// three wins, decided by the parked flag (compare-and-swap).
//
// The Go runtime's own netpoller still has the descriptor registered
// (edge-triggered); a second registration in another epoll instance or
// kqueue is independent of it. TLS connections (whose buffered plaintext the socket
// cannot see) never park here; on Linux they park in the event loops,
// which read through TLS until the socket is empty (loop.go).
//
// The parker is the process's, shared by every Server in it, unlike the
// rest of a server's state: its goroutine sits in epoll_wait or kevent,
// holding an OS thread for as long as the process lives, and one poller
// can watch any number of descriptors, which are unique in the process
// whichever server accepted them; and the memory it trims (below) is the
// process's. What is a server's own stays with the server: each parked
// connection knows its server (conn.srv), which counts its parked
// connections (Server.parked) and closes them at its shutdown.

var errParked = errors.New("server: connection parked")

type parker struct {
	pfd   int // the epoll set or kqueue
	mu    sync.Mutex
	conns map[int32]*conn // parked (or being unparked), by descriptor

	parks    atomic.Int64 // connections parked since the start (trim)
	trimBase atomic.Int64 // parks at the last trim
	trimming atomic.Bool  // a trim check is scheduled

	// The trim thresholds (see trim), atomic so that tests may change
	// them (export_test.go), and the trims done.
	trimBurst atomic.Int64 // parks since the last trim
	trimQuiet atomic.Int64 // a time.Duration
	trims     atomic.Int64
}

var (
	parkOnce  sync.Once
	theParker *parker // nil if there is no poller: connections then wait in a goroutine
)

func getParker() *parker {
	parkOnce.Do(func() {
		fd, err := newPoller()
		if err != nil {
			return
		}
		p := &parker{pfd: fd, conns: make(map[int32]*conn)}
		p.trimBurst.Store(defaultTrimBurst)
		p.trimQuiet.Store(int64(defaultTrimQuiet))
		theParker = p
		go p.loop()
	})
	return theParker
}

// wake hands the connection on fd, which became readable (or hung up),
// back to a goroutine (workers.go). loop calls it for each event.
func (p *parker) wake(fd int32) {
	p.mu.Lock()
	c := p.conns[fd]
	p.mu.Unlock()
	if c != nil {
		arrived(c)
	}
	if c != nil && c.unpark() {
		c.srv.startConn(c, false)
	}
}

// park registers c, whose read buffer is already given back, and arms its
// keepalive timer. From here on the connection belongs to whichever of
// the poller, the timer or shutdown unparks it first.
func (p *parker) park(c *conn, idle time.Duration) error {
	if c.parkTimer == nil {
		// Created stopped, before the connection is visible to anyone
		// else, so that the timer's goroutine never sees it half-made.
		c.parkTimer = time.AfterFunc(time.Hour, c.parkExpired)
		c.parkTimer.Stop()
	}
	// Everything of c is written before it is published: once parked,
	// the timer or shutdown may close it, and once registered it may
	// resume in another goroutine at any moment. (The request state went
	// back to its pool before: waitOrPark.)
	op := watchOp(c)
	fd := c.fd
	c.srv.parked.Add(1)
	c.parked.Store(true)
	p.mu.Lock()
	p.conns[int32(fd)] = c
	p.mu.Unlock()
	if idle > 0 {
		c.parkTimer.Reset(idle)
	}
	p.noteParked()
	if err := p.watch(fd, op); err != nil {
		// Undo, unless someone unparked it meanwhile (they own it now).
		if c.unpark() {
			unwatched(c, op)
			return err
		}
		return nil
	}
	return nil
}

// noteParked counts a connection going idle and schedules a trim after a
// burst of them (below). Connections parked in an event loop (loop.go)
// count once, when they first go idle.
func (p *parker) noteParked() {
	if n := p.parks.Add(1); n-p.trimBase.Load() >= p.trimBurst.Load() && p.trimming.CompareAndSwap(false, true) {
		time.AfterFunc(time.Duration(p.trimQuiet.Load()), func() { p.trim(n) })
	}
}

func noteParked() {
	if p := getParker(); p != nil {
		p.noteParked()
	}
}

// Giving a burst's memory back. When thousands of connections arrive at
// once and then go idle, their goroutines' stacks, read buffers and
// request state were all in use at the same moment; once the connections
// are parked that memory is garbage or free, yet the runtime keeps it (and
// the process's RSS) until its next collection, which an idle server may
// not run for minutes. So after 1024 connections have been parked since
// the last trim, and once parking has gone quiet (fewer than a sixteenth
// of that in the following second), the parker collects and returns free
// memory to the operating system (debug.FreeOSMemory: one collection, a
// few milliseconds for a small heap), so that the process's resident
// memory falls back to what the idle connections still hold. A server that keeps parking
// connections faster than that never goes quiet and never pays for it;
// it reuses that memory anyway.
//
// The trim collects twice. What the burst used is mostly in pools by
// then (read buffers, request state: each connection holds them while it
// waits parkAfter before parking), and a sync.Pool keeps its objects
// through one collection (its victim cache): after a single one they are
// still live, and the memory they take cannot be given back.
const (
	defaultTrimBurst = 1024
	defaultTrimQuiet = time.Second
)

// trim runs a quiet period after the parks count was last; it trims if
// parking went quiet since, and checks again later if not.
func (p *parker) trim(last int64) {
	n := p.parks.Load()
	if n-last >= p.trimBurst.Load()/16 {
		time.AfterFunc(time.Duration(p.trimQuiet.Load()), func() { p.trim(n) })
		return
	}
	runtime.GC() // empties the pools into their victim caches
	debug.FreeOSMemory()
	p.trims.Add(1)
	p.trimBase.Store(n)
	p.trimming.Store(false)
}

// unpark claims a parked connection: true for exactly one caller. The
// winner finds the connection out of the parker and its timer stopped.
func (c *conn) unpark() bool {
	if !c.parked.CompareAndSwap(true, false) {
		return false
	}
	c.srv.parked.Add(-1)
	if !c.looped { // a loop's connection stays registered (loop.go)
		p := theParker
		p.mu.Lock()
		delete(p.conns, int32(c.fd))
		p.mu.Unlock()
	}
	if c.parkTimer != nil {
		c.parkTimer.Stop()
	}
	return true
}

// parkExpired runs when keepalive_timeout passes with no request: the
// connection is closed silently, as an idle one is.
func (c *conn) parkExpired() {
	if c.unpark() {
		c.close()
	}
}

// closeParked closes c if it is parked (shutdown closing idle
// connections) and reports whether it did.
func (c *conn) closeParked() bool {
	if c.unpark() {
		c.close()
		return true
	}
	return false
}
