//go:build !linux

package cgi

import "syscall"

func reaped(pid int) bool {
	var ws syscall.WaitStatus
	r, _ := syscall.Wait4(pid, &ws, syscall.WNOHANG, nil)
	return r == pid
}
