package server

import "time"

// Reusing connection goroutines. Serving a request takes a goroutine's
// stack to about 8 KiB (parser, handler, response writer), and a new
// goroutine starts with a small one that grows by copying, frame by frame.
// With a connection per request, growing those stacks again and again
// is a large share of the server's CPU. So a goroutine whose connection
// has ended waits up to workerIdle for the next one — a new connection or
// a parked one waking up — and serves it with the stack it already has.
// At most maxIdleWorkers wait at once per server (their stacks are the
// memory this keeps: 2 MiB at most); when none is waiting a new goroutine
// starts.
const (
	workerIdle     = 2 * time.Second
	maxIdleWorkers = 256
)

// job is a connection to serve: from its first request (first), or
// resumed after it was parked.
type job struct {
	c     *conn
	first bool
}

// startConn serves c in an idle worker, or in a new goroutine.
func (s *Server) startConn(c *conn, first bool) {
	select {
	case s.jobs <- job{c, first}:
	default:
		go s.work(job{c, first})
	}
}

// work serves j, then further jobs until it has waited workerIdle for
// one, or shutdown begins, or enough workers are already waiting.
func (s *Server) work(j job) {
	var idle *time.Timer
	for {
		j.c.run(j.first)
		j = job{} // hold nothing of the finished connection while waiting
		if s.idleWorkers.Add(1) > maxIdleWorkers {
			s.idleWorkers.Add(-1)
			return
		}
		if idle == nil {
			idle = time.NewTimer(workerIdle)
		} else {
			idle.Reset(workerIdle)
		}
		select {
		case j = <-s.jobs:
		case <-idle.C:
		case <-s.done:
		}
		s.idleWorkers.Add(-1)
		if j.c == nil {
			return // waited long enough, or shutdown
		}
	}
}
