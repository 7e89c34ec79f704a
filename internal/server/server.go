package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"webserv/internal/cgi"
	"webserv/internal/config"
	"webserv/internal/route"
)

// state is one configuration and everything derived from it. It is
// immutable; a connection loads the current one at the start of every
// request, so a reload never changes a request in flight.
type state struct {
	cfg   *config.Config
	table *route.Table
}

// Server serves one configuration on its listen addresses.
type Server struct {
	Log *slog.Logger

	state atomic.Pointer[state]

	mu        sync.Mutex
	listeners map[string]net.Listener // by config.Listen.Addr
	conns     map[*conn]struct{}
	done      chan struct{} // closed by Shutdown

	inShutdown atomic.Bool
	sem        chan struct{} // max_connections slots
	serving    sync.WaitGroup
}

// New returns a server for cfg. Nothing is opened until Listen.
func New(cfg *config.Config, log *slog.Logger) *Server {
	if log == nil {
		log = slog.Default()
	}
	s := &Server{
		Log:       log,
		listeners: make(map[string]net.Listener),
		conns:     make(map[*conn]struct{}),
		done:      make(chan struct{}),
		sem:       make(chan struct{}, max(cfg.MaxConnections, 1)),
	}
	s.state.Store(&state{cfg: cfg, table: route.New(cfg)})
	return s
}

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

// Listen opens every listen address of the configuration. Listeners given
// in pre (keyed by address, as tests open them on port 0) are used instead
// of opening their address. On error, everything opened is closed and the
// error names the address.
func (s *Server) Listen(pre map[string]net.Listener) error {
	cfg := s.state.Load().cfg
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, addr := range Addrs(cfg) {
		if ln, ok := pre[addr]; ok {
			s.listeners[addr] = ln
			continue
		}
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			for _, ln := range s.listeners {
				ln.Close()
			}
			clear(s.listeners)
			return fmt.Errorf("listen %s: %w", addr, unwrapOpError(err))
		}
		s.listeners[addr] = ln
	}
	return nil
}

func unwrapOpError(err error) error {
	var op *net.OpError
	if errors.As(err, &op) {
		return op.Err
	}
	return err
}

// Serve accepts connections on every listener until Shutdown. It returns
// nil after a Shutdown.
func (s *Server) Serve() error {
	s.mu.Lock()
	for addr, ln := range s.listeners {
		s.serving.Add(1)
		go s.acceptLoop(addr, ln)
	}
	s.mu.Unlock()
	<-s.done
	s.serving.Wait()
	return nil
}

// acceptLoop accepts on ln. Past max_connections it stops accepting until a
// slot frees, so new clients wait in the kernel's backlog. Temporary errors
// (EMFILE above all) back off instead of spinning, as net/http does.
func (s *Server) acceptLoop(addr string, ln net.Listener) {
	defer s.serving.Done()
	var backoff time.Duration
	for {
		select {
		case s.sem <- struct{}{}:
		case <-s.done:
			return
		}
		rw, err := ln.Accept()
		if err != nil {
			<-s.sem
			if s.inShutdown.Load() || errors.Is(err, net.ErrClosed) {
				return
			}
			if isTemporary(err) {
				if backoff == 0 {
					backoff = 5 * time.Millisecond
				} else {
					backoff = min(2*backoff, time.Second)
				}
				s.Log.Warn("accept error; retrying", "addr", addr, "err", err, "delay", backoff)
				select {
				case <-time.After(backoff):
				case <-s.done:
					return
				}
				continue
			}
			s.Log.Error("accept failed; listener stopped", "addr", addr, "err", err)
			return
		}
		backoff = 0
		c := newConn(s, addr, rw)
		if !s.track(c, true) {
			rw.Close()
			<-s.sem
			return
		}
		go c.serve()
	}
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
// flight to finish until ctx is done, then closes what remains. It returns
// ctx.Err() when it had to cut requests off.
func (s *Server) Shutdown(ctx context.Context) error {
	if s.inShutdown.Swap(true) {
		return nil
	}
	s.mu.Lock()
	for _, ln := range s.listeners {
		ln.Close()
	}
	close(s.done)
	s.mu.Unlock()

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
				c.rwc.Close()
			}
			s.mu.Unlock()
			// CGI programs still running past the drain time are killed
			// with their process groups; their handlers reap them.
			cgi.KillAll()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// closeIdle closes connections waiting for a request and reports whether
// none are left.
func (s *Server) closeIdle() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		if c.state.Load() == stateIdle {
			c.rwc.Close()
		}
	}
	return len(s.conns) == 0
}
