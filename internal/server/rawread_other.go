//go:build !linux

package server

// Elsewhere a connection reads through net.Conn (rawread_linux.go).
const canRawRead = false
