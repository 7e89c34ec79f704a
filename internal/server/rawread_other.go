//go:build !linux

package server

import "syscall"

// Elsewhere a connection reads through net.Conn (rawread_linux.go).
const canRawRead = false

type rawReader struct{ nowait, short bool }

func (r *rawReader) bind(rc syscall.RawConn) {}

func (r *rawReader) Read(b []byte) (int, error) { return 0, syscall.ENOSYS }
