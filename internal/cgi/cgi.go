package cgi

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"webserv/internal/http1"
	"webserv/internal/rawio"
	"webserv/internal/response"
)

// Request is one CGI invocation.
type Request struct {
	Req *http1.Request
	// Body is the de-chunked request body, nil if none. Its reads may fail
	// with a *http1.StatusError (413, 408), which Serve returns as is.
	// Serve reads it once with a zero-length buffer on the calling
	// goroutine (where a "100 Continue" may be written), then from a
	// goroutine of its own while it writes the response.
	Body       io.Reader
	Script     *Script
	RemoteAddr string // "ip:port" of the client
	LocalAddr  string // "ip:port" the request arrived on
	ServerName string // the matched server_name, or Host without port
	HTTPS      bool
	HTTP2      bool          // the request came over HTTP/2: SERVER_PROTOCOL is HTTP/2.0
	Timeout    time.Duration // cgi_timeout: the longest silence on stdout; 0 = none
	Log        *slog.Logger  // nil: discard
	// ClientGone, if set, blocks until the client has closed the
	// connection (true), or until it can no longer tell or stop is closed
	// (false). Serve calls it from a goroutine of its own once the
	// request body has been read (a client gone before shows as a failed
	// body read), so that a program silent on stdout is killed when
	// nobody waits for its answer any more; a writing one is also
	// stopped by the failed write to the client.
	ClientGone func(stop <-chan struct{}) bool
	// Status, when not 0, is the response's status whatever the program's
	// Status or Location field says: the program is an error_page
	// answering for that status, as nginx keeps it for `error_page 404
	// /404.php`. REDIRECT_STATUS carries it to the program, as Apache
	// passes an ErrorDocument's.
	Status int
}

// ErrClientGone is returned by Serve when the client closed the
// connection while the program ran: the program was killed and there is
// nobody to answer.
var ErrClientGone = errors.New("cgi: client closed the connection")

const (
	// bodyBufSize is the copy buffer for the response body and the request
	// body: a pipe holds 64 KiB on Linux; 32 KiB reads keep syscalls few
	// without holding much memory per running program.
	bodyBufSize = 32 << 10
	// stdoutBufSize is the header reader's buffer; longer header lines
	// are assembled by parseHeader up to maxHeaderBytes.
	stdoutBufSize = 4 << 10
	// stderrLineMax bounds one logged stderr line; longer lines are logged
	// in pieces.
	stderrLineMax = 4 << 10
	// redirectDrainMax is how much output after a local redirect's header
	// is read and discarded before the program is killed instead.
	redirectDrainMax = 64 << 10
	// stderrGrace is how long stderr is still read after the process group
	// is gone: only a program that escaped its group (setsid) can hold the
	// pipe open longer, and it must not hold Serve.
	stderrGrace = time.Second
	// wholeMax is how much of a body without Content-Length is held back
	// before the head goes out, in the hope of seeing its end: a pipe's
	// capacity on Linux, which covers the output of most small scripts.
	wholeMax = 64 << 10
)

// Buffers a program's response passes through, pooled: allocated for each
// request they were most of what a request allocates, all of it zeroed
// and collected again.
var (
	bodyBufs      = sync.Pool{New: func() any { b := make([]byte, wholeMax); return &b }}
	stdoutReaders sync.Pool // *bufio.Reader of stdoutBufSize
	stderrReaders sync.Pool // *bufio.Reader of stderrLineMax
)

// getReader returns a reader of size bytes over r from pool, which holds
// readers of that size only; putReader gives it back.
func getReader(pool *sync.Pool, r io.Reader, size int) *bufio.Reader {
	if br, ok := pool.Get().(*bufio.Reader); ok {
		br.Reset(r)
		return br
	}
	return bufio.NewReaderSize(r, size)
}

func putReader(pool *sync.Pool, br *bufio.Reader) {
	br.Reset(nil)
	pool.Put(br)
}

// defaultWholeWait is how long after its header a program has to finish
// its output (stdout EOF) for the response to go out with Content-Length
// (SPEC §5, as lighttpd does). A program that writes and then pauses has
// its first bytes delayed by at most this; 50ms is unnoticeable next to a
// process start, and enough for a script that writes and exits.
const defaultWholeWait = 50 * time.Millisecond

// Runner runs the CGI programs of one server (Serve) and keeps the
// registry of their process groups, so that the server's shutdown kills
// its own programs (KillAll) and never another server's in the same
// process. The zero value is ready; the server owns one.
type Runner struct {
	// WholeWait replaces defaultWholeWait when positive. For tests: a
	// long wait makes "the program exits in time" certain on a loaded
	// machine.
	WholeWait time.Duration
	// WatchAfter replaces defaultWatchAfter when positive; negative
	// watches the client and reads stderr from the program's start. For
	// tests that need the watch of a program that ends at once.
	WatchAfter time.Duration

	// groups holds the live process groups (by pgid). A group is
	// unregistered before its leader is reaped, so a pgid in the map can
	// never name a recycled process.
	mu     sync.Mutex
	groups map[int]struct{}
	// killAlls counts KillAll calls, for a start racing with one.
	killAlls uint64
}

// defaultWatchAfter is how long a program runs before a goroutine starts
// watching its client (Request.ClientGone) and reading its stderr. Most
// programs are done sooner: their stderr is read once they have exited,
// and nobody watches a client that could only leave a program that is
// about to end anyway. Watching costs three goroutines (the watch, the
// stderr reader and ClientGone's own), deadlines set on the connection
// and their wake-ups. The price: a silent program is killed up to this
// much later after its client left, and one that fills the stderr pipe
// (64 KiB) this soon waits for the reader at most this long.
const defaultWatchAfter = 100 * time.Millisecond

func (rn *Runner) watchAfter() time.Duration {
	if rn.WatchAfter != 0 {
		return rn.WatchAfter
	}
	return defaultWatchAfter
}

func (rn *Runner) wholeWait() time.Duration {
	if rn.WholeWait > 0 {
		return rn.WholeWait
	}
	return defaultWholeWait
}

// kill sends SIGKILL to the group if it is still registered.
func (rn *Runner) kill(pgid int) {
	rn.mu.Lock()
	if _, ok := rn.groups[pgid]; ok {
		syscall.Kill(-pgid, syscall.SIGKILL)
	}
	rn.mu.Unlock()
}

// killAndUnregister kills the group for the last time; after it the
// leader may be reaped.
func (rn *Runner) killAndUnregister(pgid int) {
	rn.mu.Lock()
	if _, ok := rn.groups[pgid]; ok {
		syscall.Kill(-pgid, syscall.SIGKILL)
		delete(rn.groups, pgid)
	}
	rn.mu.Unlock()
}

// KillAll kills the process group of every program this Runner is
// running (at shutdown). The Serve calls that own them then return.
func (rn *Runner) KillAll() {
	rn.mu.Lock()
	rn.killAlls++
	for pgid := range rn.groups {
		syscall.Kill(-pgid, syscall.SIGKILL)
	}
	rn.mu.Unlock()
}

// running counts live groups; for tests.
func (rn *Runner) running() int {
	rn.mu.Lock()
	defer rn.mu.Unlock()
	return len(rn.groups)
}

var discardLog = slog.New(slog.DiscardHandler)

// Serve runs r.Script and writes its response to w (RFC 3875 §6).
//
// A local redirect (§6.2.2) writes nothing and returns the Location value
// (path and query) for the caller to re-dispatch. Otherwise the response
// has been written, except for w.Finish, when err is nil. An error with
// nothing written (w.Written() false) is a *http1.StatusError to render:
// 502 for a program that fails or answers with a malformed header, 504
// for one silent for r.Timeout, or the body reader's own error. Any other
// error means the response is partly sent and the connection must close
// without completing it: w.CloseAfter is called, and the caller must not
// call w.Finish, which would end a chunked body as if it were complete.
// ErrClientGone (r.ClientGone reported the client gone) is such an error,
// whether or not anything was written.
//
// Whatever the outcome, the program's process group has been killed and
// reaped and every pipe and goroutine is gone when Serve returns.
func (rn *Runner) Serve(w response.Writer, r *Request) (localRedirect string, err error) {
	log := r.Log
	if log == nil {
		log = discardLog
	}
	log = log.With("script", r.Script.File)

	// The first read of a body may send "100 Continue" on the connection
	// (RFC 9110 §10.1.1). Make it here, before the stdin goroutine reads
	// the body while this one writes the response.
	if r.Body != nil {
		if _, err := r.Body.Read(nil); err != nil && err != io.EOF {
			var se *http1.StatusError
			if errors.As(err, &se) {
				return "", err
			}
			return "", &http1.StatusError{Status: 400, Msg: "cgi: reading request body"}
		}
	}

	p, err := rn.start(r, log)
	if err != nil {
		log.Error("cgi: cannot start program", "err", err)
		return "", &http1.StatusError{Status: 502, Msg: "cgi: cannot start program"}
	}
	defer p.finish()

	redirect, err := p.respond(w)
	if p.gone.Load() {
		// Whatever the killed program's output looked like.
		w.CloseAfter()
		return "", ErrClientGone
	}
	if err == nil {
		return redirect, nil
	}
	// The body reader's error explains a program killed for it.
	if berr := p.bodyErr(); berr != nil {
		err = berr
	}
	var se *http1.StatusError
	if !w.Written() && !errors.As(err, &se) {
		log.Warn("cgi: bad response", "err", err)
		err = &http1.StatusError{Status: 502, Msg: "cgi: bad gateway"}
	}
	if w.Written() {
		w.CloseAfter()
		if errors.As(err, &se) {
			err = fmt.Errorf("cgi: response aborted: %w", err)
		}
	}
	return "", err
}

// proc is one running program and the goroutines that serve its stdin and
// stderr.
type proc struct {
	rn      *Runner
	r       *Request
	log     *slog.Logger
	pid     int           // the leader's, which is also its group's
	stdin   *os.File      // parent's write end, nil without a body; owned by the stdin goroutine
	stdout  *os.File      // parent's read end
	out     rawio.Reader  // reads stdout
	silence silenceReader // reads out, for br
	stderr  *stderrPipe   // parent's read end
	br      *bufio.Reader
	inDone  chan struct{} // closed when feed is done; nil without a body
	errDone chan struct{} // closed when logStderr is done
	// watchTimer starts watch once the program has run watchAfter; nil
	// when watch started with the program. watchDone is closed when
	// watch returns.
	watchTimer *time.Timer
	watchDone  chan struct{}
	stop       chan struct{} // closed by finish: ends r.ClientGone
	gone       atomic.Bool   // the client left; set before the kill

	mu   sync.Mutex
	berr error // body read error, set by the stdin goroutine
}

func (rn *Runner) start(r *Request, log *slog.Logger) (p *proc, err error) {
	s := r.Script
	// The parent's ends, and the child's as raw descriptors: the child
	// gets them as its 0, 1 and 2 and the parent only closes them.
	var parents []*os.File
	var children []int
	closeAll := func() {
		for _, f := range parents {
			f.Close()
		}
		for _, fd := range children {
			syscall.Close(fd)
		}
	}
	pipe := func(parentReads bool) (*os.File, int, error) {
		parent, child, err := newPipe(parentReads)
		if err == nil {
			parents = append(parents, parent)
			children = append(children, child)
		}
		return parent, child, err
	}
	// A request without a body gives the program /dev/null for stdin, as
	// lighttpd does: it reads EOF as it would from an empty pipe, and the
	// pipe, its two descriptors and the poller's bookkeeping are saved.
	var inW *os.File
	var inR int
	if r.Body != nil {
		inW, inR, err = pipe(false)
	} else if inR, err = devNull(); err != nil {
		inW, inR, err = pipe(false) // no /dev/null (a bare chroot)
	}
	if err != nil {
		return nil, err
	}
	outR, outW, err := pipe(true)
	if err != nil {
		closeAll()
		return nil, err
	}
	errR, errW, err := rawPipe(true)
	if err != nil {
		closeAll()
		return nil, err
	}
	children = append(children, errW)

	name, args := s.File, []string{s.File}
	if s.Interpreter != "" {
		name, args = s.Interpreter, []string{s.Interpreter, s.File}
	}
	// syscall.ForkExec rather than os/exec: the descriptors go to the
	// child as they are (os/exec wraps them, copies the environment into
	// a map to drop duplicates, which Env never makes, and has the kernel
	// make a pidfd the reaping does not need). Both vfork.
	attr := &syscall.ProcAttr{
		Dir:   filepath.Dir(s.File), // RFC 3875 §7.2
		Env:   Env(r),
		Files: []uintptr{uintptr(inR), uintptr(outW), uintptr(errW)},
		// Its own group, so that killing -pgid reaches what it spawns.
		Sys: &syscall.SysProcAttr{Setpgid: true},
	}
	// The fork runs outside rn.mu: the parent waits in it until the child
	// has exec'd (vfork), and every other program's start and finish
	// would queue behind it. A KillAll between the fork and the
	// registration below cannot see the new group, so the registration
	// kills it when one ran meanwhile (killAlls moved on).
	rn.mu.Lock()
	gen := rn.killAlls
	rn.mu.Unlock()
	pid, err := syscall.ForkExec(name, args, attr)
	if testHookForked != nil {
		testHookForked(rn)
	}
	if err == nil {
		rn.mu.Lock()
		if rn.groups == nil {
			rn.groups = make(map[int]struct{})
		}
		rn.groups[pid] = struct{}{}
		if rn.killAlls != gen {
			syscall.Kill(-pid, syscall.SIGKILL)
		}
		rn.mu.Unlock()
	}
	// The child's ends: the parent must not hold them, or EOF never comes
	// (the shared /dev/null is not in children).
	for _, fd := range children {
		syscall.Close(fd)
	}
	if err != nil {
		for _, f := range parents {
			f.Close()
		}
		syscall.Close(errR)
		return nil, &os.PathError{Op: "fork/exec", Path: name, Err: err}
	}
	p = &proc{
		rn: rn, r: r, log: log, pid: pid,
		stdin: inW, stdout: outR, stderr: &stderrPipe{fd: errR},
		errDone: make(chan struct{}), watchDone: make(chan struct{}), stop: make(chan struct{}),
	}
	rc, _ := outR.SyscallConn() // fails only for a closed file
	p.out.Bind(rc)
	p.silence = silenceReader{f: outR, r: &p.out, d: r.Timeout}
	p.br = getReader(&stdoutReaders, &p.silence, stdoutBufSize)
	if inW != nil {
		p.inDone = make(chan struct{})
		go p.feed()
	}
	if d := rn.watchAfter(); d > 0 {
		p.watchTimer = time.AfterFunc(d, p.watch)
	} else {
		go p.watch()
	}
	return p, nil
}

// testHookForked, if set, runs between a program's fork and its
// registration; for tests.
var testHookForked func(*Runner)

// devNull returns a descriptor of /dev/null open for reading, opened once
// and shared by every program's stdin (each child dups it; the parent
// never closes it). A failed open (EMFILE at a busy moment) is not
// remembered: the next program tries again.
func devNull() (int, error) {
	if fd := devNullFD.Load(); fd > 0 {
		return int(fd), nil
	}
	devNullMu.Lock()
	defer devNullMu.Unlock()
	if fd := devNullFD.Load(); fd > 0 {
		return int(fd), nil
	}
	fd, err := syscall.Open(os.DevNull, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return -1, os.NewSyscallError("open", err)
	}
	devNullFD.Store(int32(fd))
	return fd, nil
}

var (
	devNullMu sync.Mutex
	devNullFD atomic.Int32
)

// wait reaps the program's leader (wait4 on its pid: the group was
// unregistered first, so nothing kills a recycled pid).
func (p *proc) wait() {
	if reaped(p.pid) {
		return // it had exited: most have, by the end of their output
	}
	var ws syscall.WaitStatus
	for {
		_, err := syscall.Wait4(p.pid, &ws, 0, nil)
		if err != syscall.EINTR {
			return
		}
	}
}

// finish kills the group, reaps the leader, waits for the stdin, watch
// and stderr goroutines, and reads stderr itself if watch never started.
func (p *proc) finish() {
	p.rn.killAndUnregister(p.pid)
	p.wait()
	// A program that escaped its group may still hold the pipes: do not
	// let it hold Serve.
	if p.stdin != nil {
		p.stdin.SetWriteDeadline(time.Now())
	}
	close(p.stop)
	if p.inDone != nil {
		<-p.inDone
	}
	// Stop reports false once the timer has fired: watch runs or is
	// about to, and ends on stop.
	watched := p.watchTimer == nil || !p.watchTimer.Stop()
	if watched {
		<-p.watchDone
	}
	p.stderr.setDeadline(time.Now().Add(stderrGrace))
	if watched {
		<-p.errDone
	} else {
		p.logStderr() // the program is gone: what it wrote is in the pipe
	}
	p.stderr.close()
	p.stdout.Close()
	putReader(&stdoutReaders, p.br) // respond is done with it
	p.br = nil
}

func (p *proc) bodyErr() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.berr
}

// feed copies the request body to the program's stdin and closes it.
func (p *proc) feed() {
	defer close(p.inDone)
	p.copyBody()
	p.stdin.Close()
}

// watch runs once the program has run watchAfter (or from its start):
// it starts reading stderr, then watches for the client to leave
// (r.ClientGone) until finish, once the request body is read (ClientGone
// reads the connection, and a client gone before shows as a failed body
// read).
func (p *proc) watch() {
	defer close(p.watchDone)
	p.stderr.poll()
	go p.logStderr()
	if p.r.ClientGone == nil {
		return
	}
	if p.inDone != nil {
		select {
		case <-p.inDone:
		case <-p.stop:
			return
		}
	}
	if p.bodyErr() == nil && p.r.ClientGone(p.stop) {
		p.log.Info("cgi: client closed the connection; program killed")
		p.gone.Store(true)
		p.rn.kill(p.pid)
	}
}

// copyBody copies the request body to the program's stdin. A program that
// exits without reading it all ends the copy (EPIPE); the rest of the body
// stays unread for the caller to drain or drop. A body read error kills
// the program: its input is incomplete.
func (p *proc) copyBody() {
	if p.r.Body == nil {
		return
	}
	buf := make([]byte, bodyBufSize)
	for {
		n, err := p.r.Body.Read(buf)
		if n > 0 {
			if _, werr := p.stdin.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err == io.EOF {
			return
		}
		if err != nil {
			p.mu.Lock()
			p.berr = err
			p.mu.Unlock()
			p.rn.kill(p.pid)
			return
		}
	}
}

// stderrPipe is the parent's end of the stderr pipe. It is a bare
// descriptor, out of the runtime's poller, for as long as nothing has to
// wait on it: a program done before watchAfter has its stderr read once
// it has exited, when the pipe holds all it wrote and then EOF. That
// saves the poller's registration (an fcntl and two epoll_ctl) for most
// programs. watch, and a read that finds the pipe empty but still open (a
// program that escaped its group holds it), put it in the poller, where
// reads wait and take the deadline.
type stderrPipe struct {
	fd       int
	f        *os.File  // fd in the poller, once poll has run
	deadline time.Time // for f, set by setDeadline before poll
}

// poll puts the descriptor in the runtime's poller.
func (e *stderrPipe) poll() {
	if e.f == nil {
		e.f = os.NewFile(uintptr(e.fd), "|0")
		if !e.deadline.IsZero() {
			e.f.SetReadDeadline(e.deadline)
		}
	}
}

func (e *stderrPipe) setDeadline(t time.Time) {
	if e.f != nil {
		e.f.SetReadDeadline(t)
		return
	}
	e.deadline = t
}

func (e *stderrPipe) Read(b []byte) (int, error) {
	for e.f == nil {
		if len(b) == 0 {
			return 0, nil
		}
		if !e.deadline.IsZero() && !time.Now().Before(e.deadline) {
			return 0, os.ErrDeadlineExceeded // a writer that never lets the pipe empty
		}
		n, err := rawio.Read(e.fd, b)
		switch {
		case err == syscall.EINTR:
			continue
		case err == syscall.EAGAIN:
			e.poll() // and wait there
		case err != nil:
			return 0, os.NewSyscallError("read", err)
		case n == 0:
			return 0, io.EOF
		default:
			return n, nil
		}
	}
	return e.f.Read(b)
}

func (e *stderrPipe) close() {
	if e.f != nil {
		e.f.Close()
	} else {
		rawio.Close(e.fd) // a pipe end
	}
}

// logStderr logs each line the program writes to stderr (RFC 3875 §9.2
// leaves stderr to the server; nginx logs FastCGI stderr the same way).
func (p *proc) logStderr() {
	defer close(p.errDone)
	br := getReader(&stderrReaders, p.stderr, stderrLineMax)
	defer putReader(&stderrReaders, br)
	for {
		line, err := br.ReadSlice('\n')
		if s := strings.TrimRight(string(line), "\r\n"); s != "" {
			p.log.Warn("cgi: stderr", "line", s)
		}
		if err != nil && err != bufio.ErrBufferFull {
			return
		}
	}
}

// silenceReader bounds the silence between reads of the program's stdout
// (cgi_timeout): the pipe's read deadline moves forward before each read.
type silenceReader struct {
	f *os.File  // whose deadline moves
	r io.Reader // reads f
	d time.Duration
}

func (s *silenceReader) Read(b []byte) (int, error) {
	if s.d > 0 {
		s.f.SetReadDeadline(time.Now().Add(s.d))
	}
	return s.r.Read(b)
}

// respond reads the program's header, then writes the response to w.
func (p *proc) respond(w response.Writer) (string, error) {
	h, err := parseHeader(p.br)
	if err != nil {
		return "", p.readError(w, err)
	}
	// §6.2.2: a local redirect is a Location path and nothing else. "//"
	// starts a network-path reference (RFC 3986 §4.2), not a path.
	if len(h.fields) == 1 && h.status == 0 && strings.HasPrefix(h.location, "/") && !strings.HasPrefix(h.location, "//") {
		return h.location, p.drainRedirect()
	}
	status := h.status
	if status == 0 {
		status = 200
		if h.location != "" {
			status = 302 // §6.2.3, §6.2.4
		}
	}
	if p.r.Status != 0 {
		status = p.r.Status
	}
	clen := int64(-1)
	for _, f := range h.fields {
		switch {
		case hopByHop(f.name):
			// The writer frames the response itself (RFC 9110 §7.6.1).
		case response.EqualFold(f.name, "Content-Length"):
			n, ok := parseLength(f.value)
			if !ok || clen >= 0 && n != clen {
				p.log.Warn("cgi: ignoring invalid Content-Length", "value", f.value)
				clen = -2 // invalid: stream without it
			} else if clen != -2 {
				clen = n
			}
		}
	}
	if clen < 0 {
		clen = -1
	}

	// Commit the head only with the first body bytes (or at EOF): until
	// then a silent program still gets a clean 504.
	bp := bodyBufs.Get().(*[]byte)
	defer bodyBufs.Put(bp)
	buf := *bp
	committed := false
	commit := func() {
		committed = true
		hd := w.Header()
		for _, f := range h.fields {
			if hopByHop(f.name) || response.EqualFold(f.name, "Content-Length") {
				continue
			}
			hd.Add(f.name, f.value)
		}
		w.SetContentLength(clen)
		w.WriteHeader(status)
	}
	var body io.Reader = p.br
	if clen >= 0 {
		body = io.LimitReader(p.br, clen)
	}
	var sent int64
	if clen < 0 {
		// No length from the program: a whole output in hand before the
		// head goes out is sent with Content-Length (SPEC §5); simple
		// clients and caches need it.
		n, eof, err := p.collect(buf)
		if err != nil {
			return "", p.readError(w, err)
		}
		if eof {
			// A program killed for a failed request body ends early:
			// the body reader's status is the answer, not a short 200.
			if berr := p.bodyErr(); berr != nil {
				return "", berr
			}
			// RFC 3875 §4.3.2: a program answers a HEAD with no body, so
			// an empty one says nothing of the GET's length, and a
			// Content-Length: 0 would be false (RFC 9110 §9.3.2).
			if n > 0 || string(p.r.Req.Method) != "HEAD" {
				clen = int64(n)
			}
		}
		if n > 0 || eof {
			commit()
		}
		if n > 0 {
			_, werr := w.Write(buf[:n])
			if werr == nil && !eof {
				// The program is still at work: what it wrote so far
				// goes out now, as in the loop below.
				werr = w.Flush()
			}
			if werr != nil {
				p.rn.kill(p.pid) // the client is gone
				return "", fmt.Errorf("cgi: writing response: %w", werr)
			}
		}
		if eof {
			return "", nil
		}
	}
	for {
		n, rerr := body.Read(buf)
		if rerr == io.EOF && !committed {
			// A program killed for a failed request body ends early:
			// the body reader's status is the answer, not an empty 200.
			if berr := p.bodyErr(); berr != nil {
				return "", berr
			}
		}
		if !committed && (n > 0 || rerr == io.EOF) {
			commit()
		}
		if n > 0 {
			// Flush: what the program wrote so far goes out now, even
			// through a writer that buffers (compression).
			_, werr := w.Write(buf[:n])
			if werr == nil {
				werr = w.Flush()
			}
			if werr != nil {
				p.rn.kill(p.pid) // the client is gone
				return "", fmt.Errorf("cgi: writing response: %w", werr)
			}
			sent += int64(n)
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return "", p.readError(w, rerr)
		}
	}
	if clen >= 0 {
		if sent < clen {
			return "", errShortBody
		}
		// Anything past the declared length is not part of the response.
		if n, _ := p.br.Read(buf[:1]); n > 0 {
			p.log.Warn("cgi: output longer than its Content-Length; program killed")
		}
	}
	// A body that ended because the request body failed is incomplete.
	if berr := p.bodyErr(); berr != nil {
		return "", berr
	}
	return "", nil
}

// collect reads the start of a body without Content-Length into buf: what
// the header reader holds, then what the program writes within wholeWait
// of now, until buf is full or stdout ends (eof). A program silent for
// cgi_timeout within that time is a deadline error, as in any other read.
func (p *proc) collect(buf []byte) (n int, eof bool, err error) {
	for p.br.Buffered() > 0 && n < len(buf) {
		m, _ := p.br.Read(buf[n:]) // from the buffer: cannot fail
		n += m
	}
	end := time.Now().Add(p.rn.wholeWait())
	// Later reads set their own deadline, or none (silenceReader).
	defer p.stdout.SetReadDeadline(time.Time{})
	for n < len(buf) {
		dl := end
		if d := p.r.Timeout; d > 0 && time.Now().Add(d).Before(end) {
			dl = time.Now().Add(d)
		}
		p.stdout.SetReadDeadline(dl)
		m, err := p.out.Read(buf[n:])
		n += m
		switch {
		case err == io.EOF:
			return n, true, nil
		case errors.Is(err, os.ErrDeadlineExceeded) && !dl.Before(end):
			return n, false, nil // the program is still at work: stream
		case err != nil:
			return n, false, err
		}
	}
	return n, false, nil
}

// readError turns a failed read of stdout into Serve's error.
func (p *proc) readError(w response.Writer, err error) error {
	p.rn.kill(p.pid)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		p.log.Warn("cgi: program silent too long; killed", "timeout", p.r.Timeout)
		if !w.Written() {
			return &http1.StatusError{Status: 504, Msg: "cgi: program timed out"}
		}
		return fmt.Errorf("cgi: program silent for %v", p.r.Timeout)
	}
	return err
}

// drainRedirect reads what follows a local redirect's header: the program
// may still be finishing its work. Output beyond redirectDrainMax, or
// silence beyond the timeout, ends the wait (finish kills the group).
func (p *proc) drainRedirect() error {
	n, err := io.Copy(io.Discard, io.LimitReader(p.br, redirectDrainMax))
	if n > 0 {
		p.log.Warn("cgi: local redirect with a body; body discarded")
	}
	if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
		return err
	}
	return p.bodyErr()
}

// hopByHop reports the fields that describe a connection, not the
// response (RFC 9110 §7.6.1), and those the ResponseWriter owns.
func hopByHop(name string) bool {
	for _, h := range [...]string{"Connection", "Keep-Alive", "Proxy-Connection", "Transfer-Encoding", "TE", "Trailer", "Upgrade", "Server", "Date"} {
		if response.EqualFold(name, h) {
			return true
		}
	}
	return false
}

// parseLength parses a Content-Length value (RFC 9110 §8.6: 1*DIGIT).
func parseLength(v string) (int64, bool) {
	if v == "" || len(v) > 18 {
		return 0, false
	}
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	return n, err == nil
}
