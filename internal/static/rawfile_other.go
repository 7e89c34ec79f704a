//go:build !linux

package static

import "syscall"

// Elsewhere every file call goes through syscall.Syscall (rawfile_linux.go).

func inCache(fd int, off, n int64) bool { return false }

func rawFstat(fd int, st *syscall.Stat_t) error { return syscall.Fstat(fd, st) }

func rawPread(fd int, b []byte, off int64) (int, error) { return syscall.Pread(fd, b, off) }

func localFS(fd int) bool { return false }

func readCached(fd int, b []byte, off int64) (n int, ok bool) { return 0, false }
