package server

import (
	"crypto/tls"
	"errors"
	"net"
	"slices"
	"time"
)

// Taking slots back from idle connections.
//
// max_connections bounds the connections open at once, and past it the
// server stops accepting. A connection that does nothing still holds its
// slot: one waiting for its first request (up to client_header_timeout),
// one between two keep-alive requests (up to keepalive_timeout), one in a
// lingering close. So a few thousand sockets that connect and send
// nothing, or a crowd of idle browsers, would lock every new client out
// until their timers ran out. nginx, when its worker_connections run low,
// closes its "reusable" connections — exactly those — oldest first
// (ngx_drain_connections). The server does the same: when the accept loop
// finds no free slot, it closes idle connections of that slot set, those
// that have served a request (keep-alive, lingering) before those still
// waiting for their first one, the longest idle first; and while slots
// are short, a new connection gets only crowdedFirstByte to send its first
// byte instead of client_header_timeout. A connection in the middle of a
// request is never touched: when all are busy, new clients wait in the
// backlog as before.

const (
	// reclaimRetry is how often an accept loop with no free slot looks
	// again for idle connections: a busy connection that finishes its
	// request becomes one.
	reclaimRetry = 50 * time.Millisecond

	// reclaimMax bounds the connections closed at once (nginx: 32, or an
	// eighth of the idle ones if fewer): enough for a burst of new
	// clients, few enough that one shortage does not empty the server.
	reclaimMax = 32

	// crowdedFirstByte is the wait for a new connection's first byte
	// while free slots are short (a sixteenth or fewer left). A real
	// client sends its request with, or right after, the handshake.
	crowdedFirstByte = time.Second
)

// crowded reports whether sem has a sixteenth or fewer of its slots free.
func crowded(sem chan struct{}) bool {
	return cap(sem) > 0 && cap(sem)-len(sem) <= cap(sem)/16
}

// takeSlot takes one of sem's slots for a connection just accepted,
// closing idle connections while there is none. It returns false when
// shutdown begins first.
func (s *Server) takeSlot(sem chan struct{}) bool {
	select {
	case sem <- struct{}{}:
		return true
	default:
	}
	var retry *time.Timer
	defer func() {
		if retry != nil {
			retry.Stop()
		}
	}()
	for {
		s.reclaim(sem)
		if retry == nil {
			retry = time.NewTimer(reclaimRetry)
		} else {
			retry.Reset(reclaimRetry)
		}
		select {
		case sem <- struct{}{}:
			return true
		case <-retry.C:
		case <-s.done:
			return false
		}
	}
}

// idleConn is a candidate for reclaim.
type idleConn struct {
	c     *conn
	fresh bool  // has not served a request yet
	since int64 // idle since (unix nanoseconds)
}

// reclaim closes up to reclaimMax idle connections holding slots of sem,
// served ones before fresh ones, the longest idle first. A closed
// connection's goroutine (or, for a parked one, reclaim itself) gives its
// slot back.
func (s *Server) reclaim(sem chan struct{}) {
	s.mu.Lock()
	cands := s.reclaimBuf[:0]
	for c := range s.conns {
		if c.sem != sem {
			continue // accepted before a reload changed max_connections
		}
		if c.parked.Load() || c.state.Load() == stateIdle {
			cands = append(cands, idleConn{c, !c.kept.Load(), c.idleAt.Load()})
		}
	}
	n := max(min(reclaimMax, len(cands)/8), 1)
	if len(cands) > n {
		slices.SortFunc(cands, func(a, b idleConn) int {
			if a.fresh != b.fresh {
				if a.fresh {
					return 1
				}
				return -1
			}
			return int(min(max(a.since-b.since, -1), 1))
		})
	}
	// Closed after s.mu is released: c.close takes it. sock is the
	// socket (beneath TLS: conn.sockClose), read under s.mu, as prepare
	// replaces rwc (TLS) under s.mu.
	type victim struct {
		c    *conn
		sock net.Conn // nil: parked
	}
	var victims []victim
	for _, ic := range cands {
		if len(victims) == n {
			break
		}
		c := ic.c
		if c.fd >= 0 && pending(c.fd) {
			// Its request has arrived: it is about to be busy (a parked
			// one as soon as the poller wakes it). Bytes already read
			// are not on the socket, but a connection with some in its
			// buffer never counts as idle (readRequest) and cannot park
			// (waitOrPark).
			continue
		}
		if c.parked.Load() {
			victims = append(victims, victim{c, nil}) // closeParked decides, below
			continue
		}
		// The state decides between this and the connection's own
		// goroutine, which takes it to stateActive when it reads the
		// first byte (readRequest): a request being read is never cut off.
		if c.state.CompareAndSwap(stateIdle, stateReclaimed) {
			sock := c.rwc
			if tc, ok := sock.(*tls.Conn); ok {
				sock = tc.NetConn()
			}
			victims = append(victims, victim{c, sock})
		}
	}
	clear(cands) // hold no connection until the next shortage
	s.reclaimBuf = cands[:0]
	s.mu.Unlock()
	closed := 0
	for _, v := range victims {
		if v.sock != nil {
			v.sock.Close() // its goroutine wakes up, fails its read and closes
			closed++
		} else if v.c.closeParked() {
			closed++
		}
	}
	if closed > 0 {
		s.stats.reclaimed.Add(int64(closed))
		if now := time.Now().Unix(); s.reclaimWarned.Swap(now) != now {
			s.Log.Warn("max_connections reached; closing idle connections", "max_connections", cap(sem), "closed", closed)
		}
	}
}

// pending reports whether the socket fd has bytes waiting to be read.
func pending(fd int) bool {
	var b [1]byte
	n, err := peek(uintptr(fd), b[:])
	return err == nil && n > 0
}

// arrived runs the server's testHookArrived, if a test set one, where a
// request has arrived for a connection that has not claimed it yet:
// readRequest with bytes in the read buffer, a parked connection woken by
// the poller. A shortage of slots striking there must not close the
// connection.
func arrived(c *conn) {
	if hook := c.srv.testHookArrived.Load(); hook != nil {
		(*hook)(c)
	}
}

// errReclaimed ends a connection that reclaim closed while it was idle.
var errReclaimed = errors.New("server: idle connection closed for a slot")
