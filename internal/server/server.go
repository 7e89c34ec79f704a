package server

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"webserv/internal/cgi"
	"webserv/internal/compress"
	"webserv/internal/config"
	"webserv/internal/http1"
	"webserv/internal/static"
	"webserv/internal/upload"
)

// Server serves one configuration at a time on its listen addresses; Reload
// replaces the configuration while it serves.
type Server struct {
	Log *slog.Logger

	// state is the configuration in force. A connection loads it at the
	// start of every request, so a reload takes effect at the next
	// request and never changes one in flight.
	state atomic.Pointer[state]

	// opMu serialises Listen, Reload, ReopenLogs and the end of Shutdown:
	// the operations that open or close listeners and log files.
	opMu sync.Mutex

	mu        sync.Mutex
	listeners map[string]*listener // by config.Listen.Addr
	conns     map[*conn]struct{}
	serving   bool          // Serve has started the accept loops
	done      chan struct{} // closed by Shutdown

	inShutdown atomic.Bool
	accepting  sync.WaitGroup // accept loops

	jobs        chan job     // connections for idle workers (workers.go)
	idleWorkers atomic.Int32 // workers waiting for a job
	readers     readerPools  // read buffers of idle connections (idle.go)
	parked      atomic.Int64 // connections parked (park.go)

	reclaimBuf    []idleConn   // reclaim's scratch, under mu
	reclaimWarned atomic.Int64 // unix second of the last reclaim warning

	stats stats

	uploads upload.Roots // the upload stores open for requests in flight

	variants compress.Cache // compressed variants of small files, for every dispatcher (reload.go)

	h2Exchanges sync.Pool // *h2Exchange of finished HTTP/2 streams (h2.go)

	// runner runs this server's CGI programs; Shutdown kills those still
	// running past the drain time, and no other server's.
	runner cgi.Runner
	// fileOpts tune the static file handler each configuration gets
	// (state.files); tests set them before Listen (export_test.go).
	fileOpts static.Options

	// Hooks set only by tests (export_test.go), atomically so that
	// installing one never races with connections: testHookServe runs at
	// the start of every request (dispatch.Dispatcher.OnRequest),
	// testHookArrived where a request has
	// arrived for a connection (reclaim.go, arrived).
	testHookServe   atomic.Pointer[func(*http1.Request)]
	testHookArrived atomic.Pointer[func(*conn)]
}

// New returns a server for cfg. Nothing is opened until Listen.
func New(cfg *config.Config, log *slog.Logger) *Server {
	if log == nil {
		log = slog.Default()
	}
	s := &Server{
		Log:       log,
		listeners: make(map[string]*listener),
		conns:     make(map[*conn]struct{}),
		done:      make(chan struct{}),
		jobs:      make(chan job),
	}
	// Until Listen loads certificates and opens logs, the state has the
	// routing table only.
	st := newState(cfg, nil, s.fileOpts)
	st.dispatch = s.dispatcher(st)
	s.state.Store(st)
	return s
}

// Config returns the configuration in force.
func (s *Server) Config() *config.Config { return s.state.Load().cfg }

// Addrs returns the listen addresses of the configuration, each once, in
// declaration order.
func Addrs(cfg *config.Config) []string {
	var addrs []string
	seen := make(map[string]bool)
	for _, srv := range cfg.Servers {
		for _, l := range srv.Listens {
			if !seen[l.Addr] {
				seen[l.Addr] = true
				addrs = append(addrs, l.Addr)
			}
		}
	}
	return addrs
}

// Listen loads the TLS certificates, opens the access logs and opens every
// listen address of the configuration. Listeners given in pre (keyed by
// address, as tests open them on port 0) are used instead of opening their
// address. On error, everything opened is closed and the error names the
// address or the file.
func (s *Server) Listen(pre map[string]net.Listener) error {
	s.opMu.Lock()
	defer s.opMu.Unlock()
	st, err := s.buildState(s.state.Load().cfg, nil)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, addr := range Addrs(st.cfg) {
		reuse := st.listens[addr].reusePort
		ln, ok := pre[addr]
		if !ok {
			if ln, err = listenAt(st.cfg, addr, reuse); err != nil {
				for _, l := range s.listeners {
					l.ln.Close()
				}
				clear(s.listeners)
				st.closeLogs(nil, &s.stats)
				st.files.Close()
				return err
			}
		}
		s.listeners[addr] = s.newListener(addr, ln, reuse)
	}
	s.state.Swap(st).files.Close() // New's, which served nothing
	return nil
}

// Serve accepts connections on every listener until Shutdown. It returns
// nil after a Shutdown.
func (s *Server) Serve() error {
	s.mu.Lock()
	s.serving = true
	for _, l := range s.listeners {
		s.startAccepting(l)
	}
	s.mu.Unlock()
	<-s.done
	s.accepting.Wait()
	return nil
}

// startAccepting makes the event loops accept on l (loopAccept), or runs
// an accept loop for it. s.mu is held.
func (s *Server) startAccepting(l *listener) {
	if s.loopAccept(l) {
		return
	}
	s.accepting.Add(1)
	go s.acceptLoop(l)
}

// acceptLoop accepts on l until it is closed (by Shutdown, or by a reload
// that removed or reopened its address). Past max_connections it closes
// idle connections to make room for a client that arrives (reclaim.go);
// while every connection is busy, that client waits for a slot and the
// next ones wait in the kernel's backlog. Temporary errors (EMFILE above
// all) back off instead of spinning, as net/http does.
func (s *Server) acceptLoop(l *listener) {
	defer s.accepting.Done()
	var backoff time.Duration
	for {
		// The slots belong to the configuration in force: a reload that
		// changes max_connections makes a new set (connections accepted
		// before it give their slot back to the old one).
		sem := s.state.Load().sem
		slot := false
		select {
		case sem <- struct{}{}:
			slot = true
		default:
			// None free: accept first, then make room (takeSlot), so
			// that idle connections are closed only for a client that
			// is really there.
		}
		rw, err := l.ln.Accept()
		if err != nil {
			if slot {
				<-sem
			}
			if s.inShutdown.Load() || errors.Is(err, net.ErrClosed) {
				return
			}
			if isTemporary(err) {
				if backoff == 0 {
					backoff = 5 * time.Millisecond
				} else {
					backoff = min(2*backoff, time.Second)
				}
				s.Log.Warn("accept error; retrying", "addr", l.addr, "err", err, "delay", backoff)
				select {
				case <-time.After(backoff):
				case <-s.done:
					return
				}
				continue
			}
			s.Log.Error("accept failed; listener stopped", "addr", l.addr, "err", err)
			return
		}
		backoff = 0
		if !slot && !s.takeSlot(sem) {
			rw.Close() // shutdown began
			return
		}
		c := s.accepted(l, rw, sem)
		if c == nil {
			return
		}
		s.startConn(c, true)
	}
}

// accepted makes the connection for rw, accepted on l, which holds a slot
// of sem; nil if shutdown has begun (rw is then closed).
func (s *Server) accepted(l *listener, rw net.Conn, sem chan struct{}) *conn {
	s.stats.accepted.Add(1)
	c := newConn(s, l.addr, rw)
	c.sem, c.lis = sem, l
	if !s.track(c, true) {
		rw.Close()
		<-sem
		return nil
	}
	s.stats.handled.Add(1)
	return c
}

func isTemporary(err error) bool {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		switch errno {
		case syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS, syscall.ENOMEM, syscall.ECONNABORTED, syscall.EINTR:
			return true
		}
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// track adds or removes c from the live set; adding fails once shutdown
// has begun.
func (s *Server) track(c *conn, add bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if add {
		if s.inShutdown.Load() {
			return false
		}
		s.conns[c] = struct{}{}
	} else {
		delete(s.conns, c)
	}
	return true
}

// shutdownPollInterval is how often Shutdown checks for connections that
// have gone idle or finished.
const shutdownPollInterval = 20 * time.Millisecond

// Shutdown stops accepting, closes idle connections, waits for requests in
// flight to finish until ctx is done, then closes what remains and kills
// the CGI programs still running. The access logs are written out and
// closed last. It returns ctx.Err() when it had to cut requests off.
func (s *Server) Shutdown(ctx context.Context) error {
	if s.inShutdown.Swap(true) {
		return nil
	}
	s.mu.Lock()
	for _, l := range s.listeners {
		l.close()
	}
	close(s.done)
	s.mu.Unlock()
	defer s.closeLogs()
	// The configuration's static files: the root directories held for
	// disable_symlinks, closed once the requests using them are done. No
	// reload can swap the state any more (inShutdown).
	defer func() { s.state.Load().files.Close() }()

	t := time.NewTicker(shutdownPollInterval)
	defer t.Stop()
	for {
		if s.closeIdle() {
			return nil
		}
		select {
		case <-ctx.Done():
			s.mu.Lock()
			for c := range s.conns {
				c.sockClose()
			}
			s.mu.Unlock()
			// CGI programs still running past the drain time are killed
			// with their process groups; their handlers reap them.
			s.runner.KillAll()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// closeIdle closes connections waiting for a request and reports whether
// none are left.
func (s *Server) closeIdle() bool {
	s.mu.Lock()
	var parked []*conn
	for c := range s.conns {
		if c.h2 != nil {
			c.h2.Shutdown() // GOAWAY; its streams finish, then it closes
		} else if c.parked.Load() {
			parked = append(parked, c) // no goroutine: closed below
		} else if c.state.Load() == stateIdle {
			c.sockClose()
		}
	}
	s.mu.Unlock()
	for _, c := range parked {
		c.closeParked() // c.close takes s.mu
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns) == 0
}

// closeLogs writes out and closes the access logs at the end of Shutdown.
// A request still finishing (cut off by the drain timeout) logs nothing.
func (s *Server) closeLogs() {
	s.opMu.Lock()
	defer s.opMu.Unlock()
	s.state.Load().closeLogs(nil, &s.stats)
}
