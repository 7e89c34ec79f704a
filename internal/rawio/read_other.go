//go:build !linux

package rawio

import "syscall"

// Read is read(2) of a non-blocking descriptor (through the runtime's
// syscall bookkeeping here); the error is the bare errno.
func Read(fd int, b []byte) (int, error) { return syscall.Read(fd, b) }

// Close is close(2) (through the runtime's bookkeeping here).
func Close(fd int) { syscall.Close(fd) }
