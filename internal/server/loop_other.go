//go:build !linux

package server

import (
	"errors"
	"sync/atomic"
	"time"
)

// Elsewhere there are no event loops (loop_linux.go): keep-alive
// connections wait in their goroutines and park (park.go).

type evloop struct{}

func loopFor(fd int) *evloop { return nil }

func (l *evloop) park(c *conn, idle time.Duration) bool { return false }

func (l *evloop) carryOn() {}

func (l *evloop) forget(c *conn) {}

func loopServed() (n, left int64, ok bool) { return 0, 0, false }

func loopIndex(fd int) int { return -1 }

func loopBlocked(i int) int64 { return 0 }

func loopYields(i int) int64 { return 0 }

// yieldAfterNS: no loop here yields (loop_linux.go).
var yieldAfterNS atomic.Int64

func (s *Server) loopAccept(l *listener) bool { return false }

func (l *listener) unloop() {}

// errWouldBlock: no socket here reads without waiting (fdconn_linux.go).
var errWouldBlock = errors.New("server: read would block")
