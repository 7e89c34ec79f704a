package h2

import (
	"sync"
	"time"
)

// Buffers a busy connection would otherwise allocate for every stream
// (a response's send buffer, SendFile's pread slice) or every time it
// wakes from idle (the writer's batch) are shared through pools: a
// stream served from a file then costs the heap a few hundred bytes, not
// its body size twice over, and idle connections hold none of them.

// bufPool is a pool of byte slices of one capacity.
type bufPool struct {
	size int
	p    sync.Pool
}

func newBufPool(size int) *bufPool {
	bp := &bufPool{size: size}
	bp.p.New = func() any { b := make([]byte, 0, size); return &b }
	return bp
}

// get returns an empty slice of capacity bp.size at least.
func (bp *bufPool) get() []byte { return (*bp.p.Get().(*[]byte))[:0] }

// put gives b back, unless it grew past its pool's size (a large one is
// left to the collector: the pool's slices stay the one size).
func (bp *bufPool) put(b []byte) {
	if cap(b) < bp.size || cap(b) > 2*bp.size {
		return
	}
	b = b[:0]
	bp.p.Put(&b)
}

var (
	// frameBufs: SendFile's pread slice, and a stream's send buffer
	// (Stream.out), which starts at one default frame's worth and grows
	// to streamSendBuffer when the handler writes more before the writer
	// takes it.
	frameBufs = newBufPool(sendFileChunk)
	// batchBufs: the writer's batch (a batch ends past writeBatch, by up
	// to a frame per ready stream).
	batchBufs = newBufPool(writeBatch)
	// readBufs: the reader's buffer while frames are coming.
	readBufs = newBufPool(readBuffer)
)

// Handlers run on pooled goroutines: a goroutine that served a stream
// waits handlerIdle for the next stream of any connection before it
// exits. A new goroutine starts with a small stack that the dispatch
// path (a static file: route, stat, open, headers) grows by copying, a
// tenth of a stream's CPU time; a reused one has grown it already.
// Nothing ever waits for a worker: when none is idle, a new one starts.

// handlerIdle is how long an idle handler goroutine is kept (at least;
// at most half as long again, the reaper's granularity): long enough to
// span the gaps of a busy server, short enough that the goroutines of a
// burst (one per concurrent stream) are soon given back.
const handlerIdle = 5 * time.Second

// idleWorkers is the stack of handler goroutines waiting for a stream,
// the last one idle on top: a stream goes to the top one through its own
// channel: a lock and a channel handoff, where a select over a shared
// channel and a timer, reset per stream, were 3 % of the CPU samples of a
// page's 64 streams. The ones at the bottom have waited longest; the
// reaper ends those idle past handlerIdle.
var idleWorkers struct {
	mu      sync.Mutex
	stack   []*worker
	epoch   uint64 // advanced by the reaper every handlerIdle/2
	reaping bool   // the reaper is armed (while the stack is not empty)
}

type worker struct {
	ch    chan *Stream // buffered: a stream is handed over without waiting; nil ends the worker
	epoch uint64       // idleWorkers.epoch when it went idle
}

func startHandler(st *Stream) {
	iw := &idleWorkers
	iw.mu.Lock()
	if n := len(iw.stack); n > 0 {
		w := iw.stack[n-1]
		iw.stack[n-1] = nil
		iw.stack = iw.stack[:n-1]
		iw.mu.Unlock()
		w.ch <- st
		return
	}
	iw.mu.Unlock()
	go handlerWorker(st)
}

func handlerWorker(st *Stream) {
	w := &worker{ch: make(chan *Stream, 1)}
	iw := &idleWorkers
	for st != nil {
		st.c.runHandler(st)
		st = nil
		iw.mu.Lock()
		w.epoch = iw.epoch
		iw.stack = append(iw.stack, w)
		if !iw.reaping {
			iw.reaping = true
			time.AfterFunc(handlerIdle/2, reapWorkers)
		}
		iw.mu.Unlock()
		st = <-w.ch
	}
}

// reapWorkers ends the workers that went idle three epochs ago or
// earlier (handlerIdle to 1.5 handlerIdle), from the bottom of the stack,
// and runs again while any worker is idle.
func reapWorkers() {
	iw := &idleWorkers
	iw.mu.Lock()
	defer iw.mu.Unlock()
	iw.epoch++
	n := 0
	for n < len(iw.stack) && iw.stack[n].epoch+3 <= iw.epoch {
		iw.stack[n].ch <- nil
		n++
	}
	rest := copy(iw.stack, iw.stack[n:])
	clear(iw.stack[rest:])
	iw.stack = iw.stack[:rest]
	if len(iw.stack) > 0 {
		time.AfterFunc(handlerIdle/2, reapWorkers)
	} else {
		iw.reaping = false
	}
}
