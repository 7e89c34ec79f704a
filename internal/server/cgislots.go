package server

import (
	"runtime"
	"syscall"

	"webserv/internal/config"
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
)

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
