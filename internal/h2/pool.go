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

// handlerIdle is how long an idle handler goroutine is kept: long enough
// to span the gaps of a busy server, short enough that the goroutines of
// a burst (one per concurrent stream) are soon given back.
const handlerIdle = 5 * time.Second

// handlerQueue hands a stream to an idle worker (unbuffered: a send
// succeeds only when one is waiting).
var handlerQueue = make(chan *Stream)

func startHandler(st *Stream) {
	select {
	case handlerQueue <- st:
	default:
		go handlerWorker(st)
	}
}

func handlerWorker(st *Stream) {
	idle := time.NewTimer(handlerIdle)
	defer idle.Stop()
	for {
		st.c.runHandler(st)
		st = nil
		idle.Reset(handlerIdle)
		select {
		case st = <-handlerQueue:
		case <-idle.C:
			return
		}
	}
}
