package server

import (
	"bufio"
	"io"
	"sync"
	"sync/atomic"
	"syscall"
)

// An idle keep-alive connection should cost as little memory as possible:
// thousands of them wait for their next request while holding nothing but
// a goroutine and a socket. The read buffer (client_max_uri_length +
// client_max_header_size + slack, about 41 KiB by default) is by far the
// largest thing a connection owns, so a connection that has nothing
// buffered gives its reader back to a pool while it waits, and takes one
// again when bytes arrive. Waiting for readability without a buffer goes
// through syscall.RawConn: the runtime's netpoller parks the goroutine
// exactly as a Read would.

// readerPools maps a buffer size to the pool of readers of that size.
// Sizes come from configurations (one or a few distinct values), so the
// map is tiny; it is copied on write and read without locks. Each Server
// has its own: the buffers are sized by its configurations.
type readerPools struct {
	m  atomic.Pointer[map[int]*sync.Pool]
	mu sync.Mutex
}

func (rp *readerPools) pool(size int) *sync.Pool {
	if m := rp.m.Load(); m != nil {
		if p := (*m)[size]; p != nil {
			return p
		}
	}
	rp.mu.Lock()
	defer rp.mu.Unlock()
	old := rp.m.Load()
	m := make(map[int]*sync.Pool)
	if old != nil {
		for k, v := range *old {
			m[k] = v
		}
	}
	p := m[size]
	if p == nil {
		p = &sync.Pool{}
		m[size] = p
		rp.m.Store(&m)
	}
	return p
}

// get returns a reader of size bytes over r, pooled when possible.
func (rp *readerPools) get(r io.Reader, size int) *bufio.Reader {
	if v := rp.pool(size).Get(); v != nil {
		br := v.(*bufio.Reader)
		br.Reset(r)
		return br
	}
	return bufio.NewReaderSize(r, size)
}

// put gives br back. It must hold no buffered bytes.
func (rp *readerPools) put(br *bufio.Reader) {
	size := br.Size()
	br.Reset(nil)
	rp.pool(size).Put(br)
}

// idleWaiter waits for a connection to become readable while it holds no
// read buffer. It is set up once per connection, so that the callback
// handed to RawConn.Read is created once, not per request.
type idleWaiter struct {
	rc      syscall.RawConn
	probeFn func(fd uintptr) bool
	onIdle  func() // drops the connection's buffer
	parked  bool
	probe   [1]byte
}

func newIdleWaiter(rc syscall.RawConn, onIdle func()) *idleWaiter {
	w := &idleWaiter{rc: rc, onIdle: onIdle}
	w.probeFn = w.ready
	return w
}

// wait blocks until the socket has bytes to read (or EOF, or an error),
// or the read deadline passes. onIdle runs once if the socket turns out to
// have nothing to read yet, before the goroutine parks. A MSG_PEEK probe
// tells the two apart without consuming anything; EOF and errors are left
// for the following Read to report.
func (w *idleWaiter) wait() error {
	w.parked = false
	return w.rc.Read(w.probeFn)
}

func (w *idleWaiter) ready(fd uintptr) bool {
	if _, err := peek(fd, w.probe[:]); err == syscall.EAGAIN {
		if !w.parked {
			w.parked = true
			w.onIdle()
		}
		return false // park until the netpoller reports readability
	}
	return true
}

// peek looks at the next byte of a socket without consuming it and
// without blocking: n == 0 with no error is EOF, EAGAIN means nothing yet.
func peek(fd uintptr, b []byte) (n int, err error) {
	for {
		n, _, err = syscall.Recvfrom(int(fd), b, syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		if err != syscall.EINTR {
			return n, err
		}
	}
}
