//go:build !linux

package cgi

import (
	"io"
	"os"
	"syscall"
)

// pipeReader reads the parent's end of a pipe (raw_linux.go makes its
// reads with RawSyscall).
type pipeReader struct{ f *os.File }

func (r *pipeReader) bind(f *os.File) { r.f = f }

func (r *pipeReader) Read(b []byte) (int, error) { return r.f.Read(b) }

var _ io.Reader = (*pipeReader)(nil)

func rawRead(fd int, b []byte) (int, error) { return syscall.Read(fd, b) }

func rawClose(fd int) { syscall.Close(fd) }

func reaped(pid int) bool {
	var ws syscall.WaitStatus
	r, _ := syscall.Wait4(pid, &ws, syscall.WNOHANG, nil)
	return r == pid
}
