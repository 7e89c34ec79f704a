//go:build linux && !amd64 && !arm64

package static

import "syscall"

// statZ is stat(2) of a NUL-terminated path. On these architectures it
// goes through syscall.Stat, which allocates a copy of the path; amd64
// and arm64 make the call directly (statz_linux_fast.go).
func statZ(pathZ []byte, st *syscall.Stat_t) error {
	return syscall.Stat(string(pathZ[:len(pathZ)-1]), st)
}

// rawStatZ is statZ here (statz_linux_fast.go).
func rawStatZ(pathZ []byte, st *syscall.Stat_t) error { return statZ(pathZ, st) }
