package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"

	"webserv/internal/accesslog"
	"webserv/internal/config"
	"webserv/internal/dispatch"
	"webserv/internal/route"
	"webserv/internal/static"
	"webserv/internal/upload"
)

// state is one configuration and everything derived from it: the routing
// table, the listen flags per address, the TLS certificates, the access
// log writers and the static file handler with its caches. It is
// immutable once stored; a reload builds a new one and swaps it in whole.
type state struct {
	cfg     *config.Config
	table   *route.Table
	listens map[string]listenFlags // by config.Listen.Addr

	// files serves this configuration's static files and holds their
	// caches and root directories, keyed by its locations: a reload
	// closes the old state's (Files.Close), so that nothing of a retired
	// configuration stays open, and another server's are its own.
	files *static.Files

	// certs holds the certificate of every server that has one;
	// defCert, per ssl address, the one presented when the client's SNI
	// name selects a server without a certificate (or sends no name).
	certs   map[*config.Server]*tls.Certificate
	defCert map[string]*tls.Certificate

	// logs maps a server to its access log; writers holds each open log
	// file once (servers may share a path).
	logs    map[*config.Server]serverLog
	writers map[string]*accesslog.Writer

	// sem has one slot per allowed connection (max_connections).
	sem chan struct{}
	// cgiSlots has one slot per CGI program allowed to run at once
	// (cgi_max_processes, cgi.go). It belongs to this server: two servers
	// in one process bound their programs separately.
	cgiSlots chan struct{}

	// dispatch applies this configuration's rules to requests.
	dispatch *dispatch.Dispatcher
}

// listenFlags are the listen parameters of one address: the union over
// every server that listens there, since they describe the socket, not a
// server (as in nginx).
type listenFlags struct {
	ssl, reusePort, proxyProtocol bool
	// http2: some server here serves HTTP/2 on this socket (h2c on a
	// plain one; on an ssl one, ALPN decides per server, tls.go).
	http2 bool
}

type serverLog struct {
	w      *accesslog.Writer
	format accesslog.Format
	tmpl   *accesslog.Template // a log_format; nil: format
}

// newState derives the parts of a state that cannot fail. sem and
// cgiSlots are reused from old when their size did not change.
func newState(cfg *config.Config, old *state, files static.Options) *state {
	st := &state{
		cfg:     cfg,
		table:   route.New(cfg),
		files:   static.New(files),
		listens: make(map[string]listenFlags),
		certs:   make(map[*config.Server]*tls.Certificate),
		defCert: make(map[string]*tls.Certificate),
		logs:    make(map[*config.Server]serverLog),
		writers: make(map[string]*accesslog.Writer),
	}
	for _, srv := range cfg.Servers {
		for _, l := range srv.Listens {
			f := st.listens[l.Addr]
			f.ssl = f.ssl || l.SSL
			f.reusePort = f.reusePort || l.ReusePort
			f.proxyProtocol = f.proxyProtocol || l.ProxyProtocol
			f.http2 = f.http2 || srv.HTTP2Enabled(l)
			st.listens[l.Addr] = f
		}
	}
	n := max(cfg.MaxConnections, 1)
	if old != nil && cap(old.sem) == n {
		st.sem = old.sem
	} else {
		st.sem = make(chan struct{}, n)
	}
	n = cgiMaxProcesses(cfg)
	if old != nil && cap(old.cgiSlots) == n {
		st.cgiSlots = old.cgiSlots
	} else {
		st.cgiSlots = make(chan struct{}, n)
	}
	return st
}

// dispatcher makes the dispatch layer of st, which serves under s.
func (s *Server) dispatcher(st *state) *dispatch.Dispatcher {
	return &dispatch.Dispatcher{
		Log:        s.Log,
		Uploads:    &upload.Handler{Roots: &s.uploads},
		CGISlots:   st.cgiSlots,
		Done:       s.done,
		Counters:   &s.stats.dispatch,
		StatusPage: func(b []byte) []byte { return s.appendStatus(st, b) },
		OnRequest:  &s.testHookServe,
		Variants:   &s.variants,
		Files:      st.files,
		CGI:        &s.runner,
	}
}

// buildState makes the complete state for cfg: certificates are read from
// disk (a reload picks up renewed ones) and access logs opened, reusing
// old's writers for paths that stay. On error nothing is left open.
func (s *Server) buildState(cfg *config.Config, old *state) (*state, error) {
	st := newState(cfg, old, s.fileOpts)
	st.dispatch = s.dispatcher(st)
	certs, err := loadCertificates(cfg)
	if err != nil {
		return nil, err
	}
	st.certs = certs
	for addr, f := range st.listens {
		if !f.ssl {
			continue
		}
		cert := st.certs[st.table.Server(addr, nil)]
		for _, srv := range cfg.Servers {
			if cert != nil {
				break
			}
			if listensOn(srv, addr) {
				cert = st.certs[srv]
			}
		}
		st.defCert[addr] = cert // config guarantees one: the ssl listen's server has both files
	}
	for _, srv := range cfg.Servers {
		if srv.AccessLog == "" {
			continue
		}
		w := st.writers[srv.AccessLog]
		if w == nil && old != nil {
			w = old.writers[srv.AccessLog]
		}
		if w == nil {
			var err error
			if w, err = accesslog.Open(srv.AccessLog, s.Log); err != nil {
				st.closeLogs(old, &s.stats)
				// The access_log directive's position, as for any
				// configuration error (config checked the path at load;
				// this is what changed on disk since).
				return nil, fmt.Errorf("%s: access_log: %w", srv.AccessLogPos, err)
			}
		}
		st.writers[srv.AccessLog] = w
		sl := serverLog{w: w, format: accesslog.ParseFormat(srv.AccessLogFormat)}
		if lf := srv.LogFormat; lf != nil {
			esc, _ := accesslog.ParseEscape(lf.Escape)
			t, err := accesslog.Compile(lf.Text, esc)
			if err != nil { // config compiled it at load: cannot happen
				st.closeLogs(old, &s.stats)
				return nil, fmt.Errorf("%s: log_format %q: %w", srv.AccessLogPos, lf.Name, err)
			}
			sl.tmpl = t
		}
		st.logs[srv] = sl
	}
	return st, nil
}

func listensOn(srv *config.Server, addr string) bool {
	for _, l := range srv.Listens {
		if l.Addr == addr {
			return true
		}
	}
	return false
}

// closeLogs closes st's access log writers that keep is not using (all of
// them when keep is nil), adding their drop counts to stats.
func (st *state) closeLogs(keep *state, stats *stats) {
	for path, w := range st.writers {
		if keep != nil && keep.writers[path] == w {
			continue
		}
		w.Close()
		stats.closedLogDrops.Add(w.Dropped())
	}
}

// listener is one open listen socket and the accept loop's view of it.
type listener struct {
	srv       *Server
	addr      string
	ln        net.Listener
	reusePort bool        // SO_REUSEPORT is set on ln
	tls       *tls.Config // used when the address's flags say ssl
	// The event loops' accepting (accept_linux.go): rc is ln's, set
	// when the loops accept on it.
	rc      syscall.RawConn
	lfd     int32        // ln's descriptor
	paused  atomic.Bool  // out of the loops' epoll sets (written under mu)
	backoff atomic.Int64 // after an accept error, a time.Duration
	mu      sync.Mutex   // pausing and resuming
	closing bool         // closed, or being closed: never resumed
}

func (s *Server) newListener(addr string, ln net.Listener, reusePort bool) *listener {
	return &listener{srv: s, addr: addr, ln: ln, reusePort: reusePort, tls: s.tlsConfig(addr)}
}

// close closes the listener, out of the event loops' epoll sets first.
func (l *listener) close() error {
	l.unloop()
	return l.ln.Close()
}

// listen opens addr, with SO_REUSEPORT when reusePort is set: several
// sockets (processes) may then bind the same address and the kernel
// spreads incoming connections over them (Linux socket(7); the option
// differs by platform: soReusePort, reuseport_*.go).
//
// Accepted connections get no TCP keepalive probes (nginx's default,
// so_keepalive off): idle connections end at keepalive_timeout anyway, and
// Go's default would cost four setsockopt calls per connection.
func listen(addr string, reusePort bool) (net.Listener, error) {
	lc := net.ListenConfig{KeepAlive: -1}
	if reusePort {
		lc.Control = func(_, _ string, c syscall.RawConn) error {
			var serr error
			err := c.Control(func(fd uintptr) {
				serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, soReusePort, 1)
			})
			if err != nil {
				return err
			}
			return serr
		}
	}
	ln, err := lc.Listen(context.Background(), listenNetwork(addr), addr)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", addr, unwrapOpError(err))
	}
	return ln, nil
}

// listenNetwork is the network addr is bound in, as nginx binds it: an
// IPv4 address takes IPv4 only (Go's "tcp" would open "0.0.0.0:80" as a
// dual-stack IPv6 socket) and an IPv6 address IPv6 only ("tcp6" sets
// IPV6_V6ONLY, nginx's default ipv6only=on), so that `listen
// 0.0.0.0:80; listen [::]:80;` and `listen 127.0.0.1:80; listen
// [::]:80;` are sockets side by side. An address without a host (":80",
// from `listen 80;`) stays dual-stack, one socket for both families
// (docs/configuration.md#listen); a host name is whatever it resolves to.
func listenNetwork(addr string) string {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return "tcp"
	}
	ip, err := netip.ParseAddr(host)
	switch {
	case err != nil:
		return "tcp"
	case ip.Is4():
		return "tcp4"
	}
	return "tcp6"
}

// listenAt is listen with an error that names the first `listen`
// directive of addr in cfg (FILE:LINE:COL), where the address came from.
func listenAt(cfg *config.Config, addr string, reusePort bool) (net.Listener, error) {
	ln, err := listen(addr, reusePort)
	if err != nil {
		for _, srv := range cfg.Servers {
			for _, l := range srv.Listens {
				if l.Addr == addr && l.Pos.File != "" {
					return nil, fmt.Errorf("%s: %w", l.Pos, err)
				}
			}
		}
	}
	return ln, err
}

func unwrapOpError(err error) error {
	var op *net.OpError
	if errors.As(err, &op) {
		return op.Err
	}
	return err
}

// errShuttingDown refuses a reload once Shutdown has begun.
var errShuttingDown = errors.New("server: shutting down")

// Reload switches to cfg (already parsed and validated) without dropping
// a connection:
//
//  1. certificates are loaded and new access logs opened (an error aborts
//     the reload: the old configuration keeps serving);
//  2. addresses new in cfg are opened (an error aborts likewise);
//     addresses in both stay open — the same socket keeps accepting, so no
//     client is refused — unless their reuseport flag changed, which needs
//     a new socket: those are closed and reopened;
//  3. the state is swapped atomically: the next request on every
//     connection, including established keep-alive ones, uses cfg, while
//     requests in flight finish under the old configuration;
//  4. addresses no longer configured are closed (their established
//     connections are closed after their current request), and access
//     logs no longer used are written out and closed.
//
// ssl and proxy_protocol are read from the state for every new connection,
// so changing them needs no new socket.
func (s *Server) Reload(cfg *config.Config) error {
	s.opMu.Lock()
	defer s.opMu.Unlock()
	err := s.reload(cfg)
	if err != nil {
		s.stats.reloadFailures.Add(1)
		return err
	}
	s.stats.reloads.Add(1)
	return nil
}

func (s *Server) reload(cfg *config.Config) error {
	if s.inShutdown.Load() {
		return errShuttingDown
	}
	old := s.state.Load()
	st, err := s.buildState(cfg, old)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inShutdown.Load() {
		st.closeLogs(old, &s.stats)
		st.files.Close()
		return errShuttingDown
	}

	var opened []*listener // new sockets, not yet in s.listeners
	undo := func() {
		for _, l := range opened {
			l.close()
		}
		st.closeLogs(old, &s.stats)
		st.files.Close()
	}
	var changed []string
	for _, addr := range Addrs(cfg) {
		reuse := st.listens[addr].reusePort
		cur := s.listeners[addr]
		switch {
		case cur == nil:
			ln, err := listenAt(cfg, addr, reuse)
			if err != nil {
				undo()
				return err
			}
			opened = append(opened, s.newListener(addr, ln, reuse))
		case cur.reusePort != reuse:
			changed = append(changed, addr)
		}
	}
	// Two sockets can share a port only if both set SO_REUSEPORT, so a
	// changed flag means closing the old socket before opening the new
	// one; connections arriving in between are refused.
	for i, addr := range changed {
		cur := s.listeners[addr]
		cur.close()
		ln, err := listen(addr, !cur.reusePort)
		if err != nil {
			// Put the old sockets back as they were.
			for _, a := range changed[:i+1] {
				prev := s.listeners[a]
				if a != addr {
					// a was reopened: the new socket is in opened.
					for j, l := range opened {
						if l.addr == a {
							l.close()
							opened = append(opened[:j], opened[j+1:]...)
							break
						}
					}
				}
				ln, rerr := listen(a, prev.reusePort)
				if rerr != nil {
					s.Log.Error("reload: could not reopen a listener; the address is no longer served", "addr", a, "err", rerr)
					delete(s.listeners, a)
					continue
				}
				s.replaceListenerLocked(a, s.newListener(a, ln, prev.reusePort))
			}
			undo()
			return err
		}
		opened = append(opened, s.newListener(addr, ln, !cur.reusePort))
	}

	s.state.Store(st)
	// Retired: its caches are keyed by the old locations, and its root
	// directories are closed once the requests still under it are done.
	old.files.Close()
	// An HTTP/2 connection keeps the settings it was opened with (its
	// stream limit and timeouts): GOAWAY (RFC 9113 §6.8) lets its open
	// streams finish and sends the client to a new connection under the
	// new configuration, as nginx's retiring workers do (SPEC §8).
	for c := range s.conns {
		if c.h2 != nil {
			c.h2.Shutdown()
		}
	}

	for addr, l := range s.listeners {
		if _, ok := st.listens[addr]; !ok {
			l.close()
			delete(s.listeners, addr)
		}
	}
	for _, l := range opened {
		s.replaceListenerLocked(l.addr, l)
	}
	old.closeLogs(st, &s.stats)
	return nil
}

// requestState returns the state a request that has just been read is
// served under: the one in force now, so that a reload that happened while
// a keep-alive connection waited applies to its next request. It is nil if
// that state no longer serves addr.
func (s *Server) requestState(addr string) *state {
	st := s.state.Load()
	if _, ok := st.listens[addr]; !ok {
		return nil
	}
	return st
}

// replaceListenerLocked installs l for addr and starts accepting on it if
// Serve is running; a previous listener there must be closed already.
func (s *Server) replaceListenerLocked(addr string, l *listener) {
	s.listeners[addr] = l
	if s.serving {
		s.startAccepting(l)
	}
}

// ReopenLogs reopens every access log at its path (SIGUSR1, after
// logrotate renamed the files). Errors are joined; a log that cannot be
// reopened keeps writing to its old file.
func (s *Server) ReopenLogs() error {
	s.opMu.Lock()
	defer s.opMu.Unlock()
	var errs []error
	for path, w := range s.state.Load().writers {
		if err := w.Reopen(); err != nil {
			errs = append(errs, fmt.Errorf("access_log %s: %w", path, err))
		}
	}
	return errors.Join(errs...)
}
