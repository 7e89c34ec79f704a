package server

import (
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

// The event loops on Linux (loop.go): an epoll set each, in which parked
// keep-alive connections stay registered, edge-triggered, for as long as
// they live. The loop's goroutine collects the ready connections with a
// non-blocking epoll_wait and serves them. When none are ready it waits
// in one of two ways. Usually through the runtime's poller, for its epoll
// set itself to become readable (the set's descriptor is one more file
// the runtime polls): no OS thread is held while it waits, and the
// runtime schedules it as any goroutine. After a busy wake-up, in
// epoll_wait itself, holding its thread (block).

type evloop struct {
	epfd int
	file *os.File // epfd, registered with the runtime's poller
	rc   syscall.RawConn

	mu    sync.Mutex
	conns map[int32]*conn // registered connections, by descriptor

	// The events being served, shared by whichever goroutine is the loop
	// (carryOn hands them on). gen counts the hand-overs: a goroutine
	// that finds it changed after serving a connection is that
	// connection's now, and no longer the loop.
	events []syscall.EpollEvent
	next   int
	n      int
	gen    atomic.Uint64
	waitFn func(fd uintptr) bool

	spares chan struct{} // hands the loop to a spare goroutine (carryOn)
	nspare atomic.Int32  // spares waiting

	served  atomic.Int64 // connections served by the loop's goroutine (tests)
	left    atomic.Int64 // hand-overs to a new goroutine (carryOn; tests)
	blocked atomic.Int64 // wake-ups from a wait in epoll_pwait (block; tests)
	yields  atomic.Int64 // sched_yield calls (yieldAfter; tests)

	// awake: monoNow when the loop last came back from a wait (or a
	// yield); polls: the calls of pollCollect in the current rc.Read.
	// Owned by whichever goroutine is the loop.
	awake time.Duration
	polls int
}

// maxLoopEvents is how many ready connections one epoll_wait collects.
const maxLoopEvents = 128

var (
	loopsOnce sync.Once
	theLoops  []*evloop // nil: connections wait in goroutines (park.go)
)

// loopFor returns the loop a connection on descriptor fd parks in, or nil
// if there is none. A loop per processor, as nginx has a worker per core.
func loopFor(fd int) *evloop {
	loopsOnce.Do(func() {
		n := runtime.GOMAXPROCS(0)
		ls := make([]*evloop, 0, n)
		for range n {
			l, err := newLoop()
			if err != nil {
				return
			}
			ls = append(ls, l)
		}
		for _, l := range ls {
			go l.run()
		}
		theLoops = ls
	})
	if len(theLoops) == 0 || fd < 0 {
		return nil
	}
	return theLoops[fd%len(theLoops)]
}

func newLoop() (*evloop, error) {
	fd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	if err := syscall.SetNonblock(fd, true); err != nil {
		syscall.Close(fd)
		return nil, err
	}
	f := os.NewFile(uintptr(fd), "evloop") // non-blocking: the runtime polls it
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, err
	}
	l := &evloop{epfd: fd, file: f, rc: rc, conns: make(map[int32]*conn), events: make([]syscall.EpollEvent, maxLoopEvents), spares: make(chan struct{})}
	l.waitFn = l.pollCollect
	return l, nil
}

// collect is the runtime poller's callback: the ready connections, without
// waiting (false: none yet, wait for the set to become readable).
func (l *evloop) collect(uintptr) bool {
	n, _, e := syscall.RawSyscall6(syscall.SYS_EPOLL_PWAIT, uintptr(l.epfd), uintptr(unsafe.Pointer(&l.events[0])), uintptr(len(l.events)), 0, 0, 0)
	if e != 0 || n == 0 {
		return false
	}
	l.next, l.n = 0, int(n)
	return true
}

// pollCollect is collect as the runtime poller's callback (waitFn),
// counting its calls: a second one in one rc.Read means the loop waited.
func (l *evloop) pollCollect(fd uintptr) bool {
	l.polls++
	return l.collect(fd)
}

// run is the loop: serve the ready connections, then wait for more.
func (l *evloop) run() {
	for {
		for l.next < l.n {
			fd := l.events[l.next].Fd
			tag := l.events[l.next].Pad
			l.next++
			if tag == listenTag {
				if !l.accept(fd) {
					return // a connection took this goroutine
				}
				continue
			}
			l.mu.Lock()
			c := l.conns[fd]
			l.mu.Unlock()
			if c == nil {
				continue
			}
			c.pending.Store(true)
			if !c.unpark() {
				continue // busy: it looks at pending when it parks
			}
			c.pending.Store(false)
			arrived(c)
			l.served.Add(1)
			gen := l.gen.Load()
			c.serving = l
			c.run(false)
			if l.gen.Load() != gen && !l.spare() {
				return // c took this goroutine (leave); another is the loop
			}
		}
		if l.n > 0 {
			// A busy loop would seldom wait, and the goroutines queued
			// behind it (new connections' first requests, timers) would
			// wait for the runtime to preempt it: let them run between
			// two batches.
			runtime.Gosched()
		}
		busy := l.n >= busyBatch
		l.next, l.n = 0, 0
		if busy {
			if now := monoNow(); now-l.awake >= time.Duration(yieldAfterNS.Load()) {
				// sched_yield(2): see yieldAfter.
				syscall.RawSyscall(syscall.SYS_SCHED_YIELD, 0, 0, 0)
				l.yields.Add(1)
				l.awake = monoNow()
			}
			if l.block() {
				continue
			}
		}
		l.polls = 0
		if err := l.rc.Read(l.waitFn); err != nil {
			// Not expected (the set is never closed); parked connections
			// still have their timers.
			time.Sleep(10 * time.Millisecond)
		}
		if l.polls > 1 {
			// It waited: a loop whose batches dip below busyBatch but
			// find connections ready at once has not, and its clock runs
			// on.
			l.awake = monoNow()
		}
	}
}

// yieldAfter: a busy loop that has served connections for this long
// without waiting for one yields its CPU (sched_yield(2)) before its next
// batch, to whatever else is runnable there; with nothing else, the call
// comes straight back. Such a loop finds connections ready every time it
// looks and never sleeps, so the kernel takes it for a CPU hog: the other
// threads on its CPU (a CGI program, a database, the client on the same
// machine, the runtime's own) then run in slices of milliseconds, between
// which every connection of the loop waits. nginx's workers, which block
// in epoll_wait between short bursts, do not have that tail. Measured with
// wrk -t2 -c50 on the same 2 CPUs, keep-alive 1 KiB: p99 6.1–6.4 ms
// without a yield, 2.0–2.8 ms with this one (nginx 3.9–4.2), at the same
// req/s and CPU per request. Not after every busy batch, which gave about
// 1 ms there: at a moderate rate, where a loop sleeps between short
// bursts, that handed the CPU to the client in the middle of a burst and
// raised p99 (gobench rate at 20,000 requests/s: 0.6 to 0.8–1.1 ms).
const yieldAfter = 500 * time.Microsecond

// yieldAfterNS is yieldAfter, which tests may change.
var yieldAfterNS atomic.Int64

func init() { yieldAfterNS.Store(int64(yieldAfter)) }

// loopEpoch is the origin of monoNow.
var loopEpoch = time.Now()

// monoNow is the monotonic time since loopEpoch.
func monoNow() time.Duration { return time.Since(loopEpoch) }

// busyBatch is the batch of ready connections (one wake-up's) from which
// a loop waits for the next in epoll_wait itself (block) rather than
// through the runtime's poller.
const busyBatch = 4

// block waits for ready connections in epoll_pwait, holding the loop's
// thread, and reports whether it has some (false: the call failed, wait
// through the runtime's poller).
//
// A loop that waits through the runtime's poller goes through the
// scheduler on every wake-up: the thread that polls next readies its
// goroutine, which then waits for a processor, often on another thread,
// and a busy loop (many connections, each wake-up a batch of them) pays
// that at a high rate. A thread blocked in epoll_pwait is woken by the
// kernel itself and goes on where it stopped, as an nginx worker does. The
// runtime sees an ordinary blocking system call and lends the thread's
// processor to other goroutines meanwhile; winning one back on wake-up
// costs more than the poller's hand-over when the loop wakes often for
// little (connections that carry one request each, accepted one at a
// time), which is why only a busy loop blocks.
func (l *evloop) block() bool {
	if l.collect(0) {
		return true
	}
	for {
		// Timeout -1: until a connection is ready.
		n, _, e := syscall.Syscall6(syscall.SYS_EPOLL_PWAIT, uintptr(l.epfd), uintptr(unsafe.Pointer(&l.events[0])), uintptr(len(l.events)), ^uintptr(0), 0, 0)
		switch {
		case e == syscall.EINTR:
			continue // a signal (the runtime's preemption among them)
		case e != 0:
			return false
		}
		l.blocked.Add(1)
		l.awake = monoNow()
		l.next, l.n = 0, int(n)
		return n > 0
	}
}

// carryOn hands the loop, with the events not yet served, to a spare
// goroutine or a new one: the calling one is leaving it (conn.leave).
func (l *evloop) carryOn() {
	l.left.Add(1)
	l.gen.Add(1)
	select {
	case l.spares <- struct{}{}:
	default:
		go l.run()
	}
}

// Spare goroutines. A goroutine that left the loop with its connection
// has a stack grown by serving requests; a new one starts small and grows
// by copying, frame by frame, which cost a CGI request on a keep-alive
// connection a measurable share of its CPU. So when its connection is
// done with it, it waits up to spareIdle to take the loop over at the
// next hand-over (as workers.go's idle workers wait for connections), at
// most maxSpares of them per loop.
const (
	spareIdle = 2 * time.Second
	maxSpares = 64
)

// spare waits to be the loop again; false: it waited long enough, or
// enough spares are waiting, and the goroutine ends.
func (l *evloop) spare() bool {
	if l.nspare.Add(1) > maxSpares {
		l.nspare.Add(-1)
		return false
	}
	defer l.nspare.Add(-1)
	t := time.NewTimer(spareIdle)
	defer t.Stop()
	select {
	case <-l.spares:
		return true
	case <-t.C:
		return false
	}
}

// park parks c in l: registered on its first park, its keepalive timer
// armed (idle > 0), then published. It reports false if the caller must
// keep c instead: an edge arrived while c was busy (pending), or the
// registration failed (the connection then waits in its goroutine).
func (l *evloop) park(c *conn, idle time.Duration) bool {
	if c.parkTimer == nil {
		c.parkTimer = time.AfterFunc(time.Hour, c.parkExpired)
		c.parkTimer.Stop()
	}
	if !c.looped {
		// Registered before it is published: an edge that comes before
		// the publication finds it busy (pending).
		l.mu.Lock()
		l.conns[int32(c.fd)] = c
		l.mu.Unlock()
		c.looped = true
		if err := l.watch(c); err != nil {
			l.forget(c)
			c.loop = nil // wait in goroutines from now on
			return false
		}
		noteParked() // a burst of new connections going idle (park.go)
	}
	// Armed before the connection is published, so that whoever unparks
	// it stops this timer and no older one.
	if idle > 0 {
		c.parkTimer.Reset(idle)
	}
	c.srv.parked.Add(1)
	c.parked.Store(true)
	if c.pending.Swap(false) && c.unpark() {
		return false
	}
	return true
}

// watch adds c's socket to l's epoll set (edge-triggered: readable, or
// the peer hung up), under RawConn.Control, which pins the descriptor:
// nobody can close it, and its number cannot be reused, under the
// epoll_ctl.
func (l *evloop) watch(c *conn) error {
	var err error
	if cerr := c.rc.Control(func(fd uintptr) {
		ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLRDHUP | syscall.EPOLLET&0xffffffff, Fd: int32(fd)}
		err = syscall.EpollCtl(l.epfd, syscall.EPOLL_CTL_ADD, int(fd), &ev)
	}); cerr != nil {
		return cerr
	}
	return err
}

// forget removes c from l before its descriptor is closed (conn.close),
// so that a later connection on the same number is not taken for it.
func (l *evloop) forget(c *conn) {
	if !c.looped {
		return
	}
	c.looped = false
	l.mu.Lock()
	if l.conns[int32(c.fd)] == c {
		delete(l.conns, int32(c.fd))
	}
	l.mu.Unlock()
}

// loopAt returns loop i, or nil if there is none.
func loopAt(i int) *evloop {
	loopFor(-1)
	if i < 0 || i >= len(theLoops) {
		return nil
	}
	return theLoops[i]
}

// loopBlocked reports how many times loop i has been woken from a wait
// in epoll_pwait (block).
func loopBlocked(i int) int64 {
	if l := loopAt(i); l != nil {
		return l.blocked.Load()
	}
	return 0
}

// loopYields reports how many times loop i has yielded its CPU
// (yieldAfter).
func loopYields(i int) int64 {
	if l := loopAt(i); l != nil {
		return l.yields.Load()
	}
	return 0
}

// loopServed reports how many times the loops have served a connection,
// and handed themselves over to a new goroutine (left).
func loopServed() (n, left int64, ok bool) {
	loopFor(-1)
	for _, l := range theLoops {
		n += l.served.Load()
		left += l.left.Load()
	}
	return n, left, len(theLoops) > 0
}

// loopIndex reports which loop a connection on descriptor fd parks in
// (-1: none).
func loopIndex(fd int) int {
	l := loopFor(fd)
	for i, x := range theLoops {
		if x == l {
			return i
		}
	}
	return -1
}
