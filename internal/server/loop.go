package server

import (
	"errors"
	"net"
	"time"

	"webserv/internal/rawio"
)

// Event loops for keep-alive connections.
//
// Between two requests a plain keep-alive connection used to wait in its
// goroutine, and every request paid for it: a read that found nothing yet
// (EAGAIN), the goroutine's park and wake-up in the runtime, and a read
// deadline re-armed with the current time. nginx pays none of this: one
// epoll_wait reports all the connections that became readable, each is
// read once (a read that returns less than asked for has drained the
// socket, so there is nothing to try again), and the request is answered
// in place. The event loops do the same for our connections (Linux,
// loop_linux.go; elsewhere connections wait in their goroutines and park
// as before, park.go).
//
// A connection that has answered a request and finds nothing more to
// read is parked in a loop: registered, once for its lifetime, in the
// loop's epoll set (edge-triggered), with its keepalive timer armed, its
// goroutine gone and its buffers given back, as in the parker. A loop is
// a goroutine that waits, through the runtime's poller, for its epoll set
// to report readable connections, and serves each one's requests itself,
// with non-blocking reads, until the connection is parked again: most
// requests (files, errors, redirects) are answered without any goroutine
// switch. Exactly one of the loop, the keepalive timer, shutdown and
// reclaim takes a parked connection, decided by the parked flag, as in
// the parker.
//
// The loop must never wait for one connection: the others would wait
// with it. Wherever serving a request would wait — the rest of a head
// that came in pieces, a request body, a response that fills the
// socket's send buffer, a CGI program, a lingering close — the loop is
// handed to a new goroutine first (leave), and the current one carries on
// as the connection's own, waiting as connections always did; the
// connection returns to a loop at its next park. A goroutine start on
// those paths is the whole cost.
//
// An edge that arrives while the connection is not parked (being served,
// or on its way to the loop) finds it busy; pending records it, and the
// connection looks at pending once it is parked, so that no request is
// left unread until its keepalive timer.

// loopWait is readRequest's wait for a keep-alive request on a
// connection that parks in a loop: nil with bytes buffered, errParked once
// the connection is parked, or the read error.
func (c *conn) loopWait(idle time.Duration) error {
	inLoop := c.serving != nil
	if !inLoop {
		// Coming from a goroutine, which may have left deadlines (the
		// first request's, a body's, CGI's, send_timeout's): a loop sets
		// none, and a past one would fail its reads and writes at once.
		c.rwc.SetDeadline(time.Time{})
		c.w.DeadlineCleared()
	}
	for {
		if c.br != nil && c.br.Buffered() > 0 {
			return nil
		}
		// A read that came back short drained the socket; the next
		// bytes raise an edge. Otherwise look once, without waiting.
		if !c.rr.Short || c.tls {
			// Through TLS, always: crypto/tls may hold a whole record
			// read from a socket that is now empty, and only a read that
			// found the socket empty (errWouldBlock) makes sure that the
			// next bytes raise an edge.
			if c.br == nil {
				c.br = c.srv.readers.get(c.reader(), min(initialBuf, c.bufSize))
			}
			c.rr.NoWait = true
			nw := c.noWait()
			if nw != nil {
				nw.SetNoWait(true)
			}
			_, err := c.br.Peek(1)
			c.rr.NoWait = false
			begun := false
			if nw != nil {
				begun = nw.NoWaitRead() > 0
				nw.SetNoWait(false)
			}
			if err == nil {
				return nil
			}
			if err != rawio.ErrWouldBlock && !errors.Is(err, errWouldBlock) {
				return err
			}
			if begun {
				// A record begun: wait for the rest in this goroutine,
				// within idle from now (readRequest), as a head begun.
				c.leave()
				return nil
			}
		}
		c.dropReader()
		if !c.state.CompareAndSwap(stateIdle, stateActive) {
			return errReclaimed
		}
		if inLoop && c.serving == nil {
			// Left during the look (a TLS write that waited set a
			// deadline: loopWillWait): the loop sets none.
			c.rwc.SetDeadline(time.Time{})
			c.w.DeadlineCleared()
		}
		c.giveReqState()
		serving := c.serving
		c.serving = nil
		if c.loop.park(c, idle) {
			return errParked
		}
		// An edge came while it was on its way, or registering failed:
		// this goroutine takes it back and reads.
		c.serving = serving
		c.state.Store(stateIdle)
		c.takeReqState()
		if c.loop == nil {
			c.leave()
			return nil // wait as connections without a loop do
		}
	}
}

// leave hands the loop serving c to a new goroutine before c waits for
// its socket or a program: from here on this goroutine is c's own.
func (c *conn) leave() {
	if l := c.serving; l != nil {
		c.serving = nil
		l.carryOn()
		c.noDelay()
		if c.reqState != nil {
			c.w.LazyDeadline = false // its writes may wait from now on
		}
	}
}

// WillWait is http1.WaitHook: a response write is about to wait, for at
// most send_timeout, which a loop's response has not armed yet
// (LazyDeadline).
func (c *conn) WillWait() {
	lazy := c.w.LazyDeadline
	c.leave()
	if lazy && c.w.SendTimeout > 0 {
		c.rwc.SetWriteDeadline(time.Now().Add(c.w.SendTimeout))
	}
}

// loopWaiter is told before a read or write of a TLS connection's socket
// waits (fdConn): a loop serving the connection must be handed over
// first, as http1's writes do through WillWait.
type loopWaiter interface{ loopWillWait() }

// noWaitConn is the socket beneath a TLS connection that a loop can
// serve (fdConn): a read under SetNoWait(true) returns errWouldBlock
// instead of waiting, through crypto/tls, which keeps a partial record.
type noWaitConn interface {
	SetNoWait(bool)
	NoWaitRead() int
	SetWaiter(loopWaiter)
}

// noWait returns the socket beneath a TLS connection a loop serves, or
// nil.
func (c *conn) noWait() noWaitConn {
	if !c.tlsLoop {
		return nil
	}
	tc, _ := c.rwc.(interface{ NetConn() net.Conn })
	if tc == nil {
		return nil
	}
	nw, _ := tc.NetConn().(noWaitConn)
	return nw
}

// loopWillWait is loopWaiter. Only the connection's owner reads and
// writes its TLS layer, so serving is its own to look at.
func (c *conn) loopWillWait() {
	if c.serving == nil {
		return
	}
	if c.reqState != nil {
		c.WillWait()
	} else {
		c.leave()
	}
}

// Detach is told by dispatch before a handler that may wait (CGI, an
// upload): see content.Peer.
func (c *conn) Detach() { c.leave() }

// noDelay sets TCP_NODELAY on a connection a loop accepted
// (fdConn.NoDelay), once it is kept alive or leaves the loop; net's
// connections have it from the start.
func (c *conn) noDelay() {
	if nd, ok := c.rwc.(interface{ NoDelay() }); ok {
		nd.NoDelay()
	}
}
