package server

import (
	"runtime"
	"syscall"
	"time"

	"webserv/internal/config"
	"webserv/internal/http1"
)

// The bound on CGI programs running at once (cgi_max_processes). Without
// it a burst of requests to a slow program starts a process each until
// the descriptor limit fails the pipes (502 "too many open files") and
// memory goes to thousands of interpreters; past it, requests wait
// briefly for a slot and are then refused with 503 and Retry-After, as a
// server that is overloaded, not broken, answers (RFC 9110 §15.6.4).
const (
	// cgiMinProcesses and cgiProcessesPerCPU size the default: programs
	// mostly wait (on a database, the network, the disk), so several per
	// CPU keep the CPUs busy; a small machine still runs a useful number.
	cgiMinProcesses    = 16
	cgiProcessesPerCPU = 8
	// cgiFDsPerProcess is what one running program costs in descriptors,
	// rounded up: its three pipe ends and pidfd kept by the server, the
	// client's connection, and while it starts the child's three ends and
	// the exec status pipe. The default takes at most the descriptor
	// limit over this, leaving the rest to connections and files.
	cgiFDsPerProcess = 8
	// cgiQueueWait is the longest a request waits for a slot before its
	// 503 (cgi_timeout, when shorter, bounds it too: a client would not
	// wait longer for the program itself). A few seconds ride out a burst
	// of short programs without holding clients on a server that stays
	// full.
	cgiQueueWait = 3 * time.Second
	// cgiRetryAfter is the Retry-After of that 503, in seconds (RFC 9110
	// §10.2.3): the same few seconds.
	cgiRetryAfter = "3"
)

// errCGIBusy answers a request that found no CGI slot in time.
var errCGIBusy = &http1.StatusError{Status: 503, Msg: "cgi: cgi_max_processes programs running, none ended within the queue wait"}

// cgiMaxProcesses is cfg's cgi_max_processes, or the default for this
// machine (defaultCGIProcesses).
func cgiMaxProcesses(cfg *config.Config) int {
	if cfg.CGIMaxProcesses > 0 {
		return cfg.CGIMaxProcesses
	}
	var fds uint64 // 0: unknown
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err == nil {
		fds = uint64(rl.Cur) // uint64: Rlimit.Cur is int64 on FreeBSD
	}
	return defaultCGIProcesses(runtime.NumCPU(), fds)
}

// defaultCGIProcesses is the default cgi_max_processes for cpus CPUs and
// a descriptor limit of fds (0: unknown, no bound from it): 8 per CPU, at
// least 16, and no more than fds / 8 (at least 1).
func defaultCGIProcesses(cpus int, fds uint64) int {
	n := max(cgiMinProcesses, cgiProcessesPerCPU*cpus)
	if fds > 0 {
		if lim := fds / cgiFDsPerProcess; lim < uint64(n) {
			n = max(1, int(lim))
		}
	}
	return n
}

// acquireCGI takes a CGI slot for a program of loc, waiting up to
// cgiQueueWait (or loc's cgi_timeout, if shorter). It returns the
// function that gives the slot back, or errCGIBusy.
func (h *handler) acquireCGI(loc *config.Location) (release func(), err error) {
	slots := h.st.cgiSlots
	release = func() { <-slots }
	select {
	case slots <- struct{}{}:
		return release, nil
	default:
	}
	wait := cgiQueueWait
	if loc.CGITimeout > 0 {
		wait = min(wait, loc.CGITimeout)
	}
	stats := &h.c.srv.stats
	stats.cgiWaiting.Add(1)
	defer stats.cgiWaiting.Add(-1)
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case slots <- struct{}{}:
		return release, nil
	case <-t.C:
	case <-h.c.srv.done: // shutting down: no new programs
	}
	stats.cgiRejected.Add(1)
	return nil, errCGIBusy // logged at error with the other 5xx (logFailure)
}

// retryAfterCGI marks a 503 for want of a slot with Retry-After.
func retryAfterCGI(w *http1.ResponseWriter, err error) {
	if err == errCGIBusy {
		w.Header().Set("Retry-After", cgiRetryAfter)
	}
}
