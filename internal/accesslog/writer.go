package accesslog

import (
	"bufio"
	"errors"
	"io"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

const (
	// QueueLen is how many formatted lines may wait for the writer
	// goroutine. At ~200 bytes a line that is under 2 MiB, and several
	// seconds of a busy server's traffic: enough to ride out a slow
	// fsync or a log rotation, small enough to bound memory.
	QueueLen = 8192
	// bufSize is the file write buffer: a batch of queued lines goes out
	// in one write.
	bufSize = 64 << 10
	// maxPooledLine: buffers grown past this by a huge line are not
	// pooled, so one odd request does not pin memory.
	maxPooledLine = 4 << 10
	// reportInterval is how often dropped lines and write errors are
	// reported to the error log.
	reportInterval = 10 * time.Second
)

var linePool = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// Writer is one access log file with its writer goroutine. Log never
// blocks; Reopen and Close wait for the goroutine.
type Writer struct {
	path string
	open func() (io.WriteCloser, error)
	log  *slog.Logger

	queue   chan *[]byte
	reopen  chan chan error
	done    chan struct{}
	exited  chan struct{}
	closing sync.Once
	closed  atomic.Bool
	dropped atomic.Int64
}

// Stderr is the path that names the standard error stream rather than a
// file (`access_log stderr;`).
const Stderr = "stderr"

// Open opens (creating, appending) the log file at path and starts its
// writer; path Stderr writes to the standard error stream, which Reopen
// and Close leave open. Problems writing later are reported to log.
func Open(path string, log *slog.Logger) (*Writer, error) {
	if path == Stderr {
		return NewStream(path, os.Stderr, log), nil
	}
	open := func() (io.WriteCloser, error) {
		return os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	}
	return newWriter(path, open, QueueLen, log)
}

// NewStream starts a writer to w, a stream such as standard error, named
// name; Reopen and Close do not close w. As for a file, Log never blocks.
func NewStream(name string, w io.Writer, log *slog.Logger) *Writer {
	open := func() (io.WriteCloser, error) { return nopCloser{w}, nil }
	sw, _ := newWriter(name, open, QueueLen, log) // open cannot fail
	return sw
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

func newWriter(path string, open func() (io.WriteCloser, error), queueLen int, log *slog.Logger) (*Writer, error) {
	f, err := open()
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	w := &Writer{
		path:   path,
		open:   open,
		log:    log,
		queue:  make(chan *[]byte, queueLen),
		reopen: make(chan chan error),
		done:   make(chan struct{}),
		exited: make(chan struct{}),
	}
	go w.run(f)
	return w, nil
}

// Path is the file's path.
func (w *Writer) Path() string { return w.path }

// Dropped is the number of lines dropped because the queue was full.
func (w *Writer) Dropped() int64 { return w.dropped.Load() }

// Log formats e in format f and queues the line. When the queue is full
// the line is dropped and counted instead. After Close, lines are
// discarded.
func (w *Writer) Log(f Format, e *Entry) {
	if w.closed.Load() {
		return
	}
	bp := linePool.Get().(*[]byte)
	*bp = Append((*bp)[:0], f, e)
	w.enqueue(bp)
}

// LogTemplate queues e's line as t formats it (a log_format); like Log it
// never blocks.
func (w *Writer) LogTemplate(t *Template, e *Entry) {
	if w.closed.Load() {
		return
	}
	bp := linePool.Get().(*[]byte)
	*bp = t.Append((*bp)[:0], e)
	w.enqueue(bp)
}

// enqueue hands a formatted line to the writer goroutine, or drops and
// counts it when the queue is full: a request never waits for the disk.
func (w *Writer) enqueue(bp *[]byte) {
	select {
	case w.queue <- bp:
	default:
		w.dropped.Add(1)
		putLine(bp)
	}
}

func putLine(bp *[]byte) {
	if cap(*bp) <= maxPooledLine {
		linePool.Put(bp)
	}
}

// Reopen opens the path anew and switches to it once what is queued so
// far is written to the old file (logrotate: the old file has been
// renamed). On error the old file stays in use.
func (w *Writer) Reopen() error {
	reply := make(chan error, 1)
	select {
	case w.reopen <- reply:
		return <-reply
	case <-w.exited:
		return errors.New("accesslog: reopen of a closed log")
	}
}

// Close writes out what is queued, closes the file, and reports lines
// dropped since the last report. Lines logged after Close are discarded.
func (w *Writer) Close() error {
	w.closing.Do(func() {
		w.closed.Store(true)
		close(w.done)
	})
	<-w.exited
	return nil
}

// run is the writer goroutine: it owns the file.
func (w *Writer) run(f io.WriteCloser) {
	defer close(w.exited)
	bw := bufio.NewWriterSize(f, bufSize)
	tick := time.NewTicker(reportInterval)
	defer tick.Stop()
	var reported int64 // drops already reported
	var writeErr error // first write error since the last report
	flush := func() {
		if err := bw.Flush(); err != nil {
			if writeErr == nil {
				writeErr = err
			}
			// bufio's error is sticky: drop what it holds and carry on
			// (a full disk may free up).
			bw.Reset(f)
		}
	}
	write := func(bp *[]byte) {
		// A line never straddles two writes, so that lines stay whole on
		// a stream other writers share (the error log on standard error).
		if len(*bp) > bw.Available() && bw.Buffered() > 0 {
			flush()
		}
		if _, err := bw.Write(*bp); err != nil && writeErr == nil {
			writeErr = err
		}
		putLine(bp)
	}
	// writeQueued writes what is queued and flushes it, one write for the
	// batch.
	writeQueued := func() {
		for {
			select {
			case bp := <-w.queue:
				write(bp)
			default:
				flush()
				return
			}
		}
	}
	report := func() {
		if d := w.dropped.Load(); d > reported {
			w.log.Warn("access log lines dropped: the disk did not keep up", "path", w.path, "dropped", d-reported, "total", d)
			reported = d
		}
		if writeErr != nil {
			w.log.Error("access log write failed", "path", w.path, "err", writeErr)
			writeErr = nil
		}
	}
	for {
		select {
		case bp := <-w.queue:
			write(bp)
			writeQueued()
		case reply := <-w.reopen:
			writeQueued()
			nf, err := w.open()
			if err == nil {
				f.Close()
				f = nf
				bw.Reset(f)
			}
			reply <- err
		case <-tick.C:
			report()
		case <-w.done:
			writeQueued()
			f.Close()
			report()
			return
		}
	}
}

// File is an io.Writer over a log file that can be reopened (logrotate)
// or switched to another destination (a reload changed error_log) while
// other goroutines write. Writes are serialised by a mutex: it is meant for
// the error log, whose lines are rare, not for the request path.
type File struct {
	mu   sync.Mutex
	path string    // "" for a standard stream
	w    io.Writer // where lines go
	f    *os.File  // w when it is a file we opened; nil for a stream
}

// Stream returns a File writing to w (standard error, standard output),
// which Reopen leaves alone.
func Stream(w io.Writer) *File { return &File{w: w} }

// OpenFile opens (creating, appending) the file at path.
func OpenFile(path string) (*File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	return &File{path: path, w: f, f: f}, nil
}

// Path is the file's path, "" for a stream.
func (f *File) Path() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.path
}

func (f *File) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.w.Write(p)
}

// Reopen opens the path anew (after logrotate renamed the file); on error
// the old file stays in use. A stream is not reopened.
func (f *File) Reopen() error {
	f.mu.Lock()
	path := f.path
	f.mu.Unlock()
	if path == "" {
		return nil
	}
	g, err := OpenFile(path)
	if err != nil {
		return err
	}
	f.Swap(g)
	return nil
}

// Swap makes f write where g writes, from now on, and closes f's old
// file. g must not be used afterwards.
func (f *File) Swap(g *File) {
	f.mu.Lock()
	old := f.f
	f.path, f.w, f.f = g.path, g.w, g.f
	f.mu.Unlock()
	if old != nil {
		old.Close()
	}
}

// Close closes the file (not a stream).
func (f *File) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.f != nil {
		return f.f.Close()
	}
	return nil
}
