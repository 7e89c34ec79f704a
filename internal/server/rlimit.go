package server

import (
	"fmt"
	"syscall"
)

// SetOpenFileLimit sets the soft RLIMIT_NOFILE to n (worker_rlimit_nofile),
// raising the hard limit too when n is above it, which needs privilege.
// Each connection, open file and CGI pipe takes a descriptor, so the limit
// bounds how much the server can do at once (EMFILE answers 503).
func SetOpenFileLimit(n uint64) error {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return fmt.Errorf("server: getrlimit: %w", err)
	}
	setRlimit(&rl, n)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return fmt.Errorf("server: worker_rlimit_nofile %d: %w", n, err)
	}
	return nil
}
