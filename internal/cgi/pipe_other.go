//go:build !linux

package cgi

import (
	"os"
	"syscall"
)

// newPipe makes the pipe for one of the program's standard streams: the
// parent's end non-blocking and in the runtime's poller, the child's a
// bare blocking descriptor. parentReads says which end is the parent's.
// (pipe_linux.go makes both close-on-exec with pipe2.)
func newPipe(parentReads bool) (parent *os.File, child int, err error) {
	pe, ce, err := rawPipe(parentReads)
	if err != nil {
		return nil, -1, err
	}
	name := "|1"
	if parentReads {
		name = "|0"
	}
	return os.NewFile(uintptr(pe), name), ce, nil
}

// rawPipe is newPipe with the parent's end a bare descriptor too
// (non-blocking, close-on-exec), for a stream that may never need the
// poller (stderrPipe).
func rawPipe(parentReads bool) (parent, child int, err error) {
	var p [2]int
	// Under ForkLock, so that no program started meanwhile inherits the
	// ends before they are close-on-exec (as os.Pipe does without pipe2).
	syscall.ForkLock.RLock()
	err = syscall.Pipe(p[:])
	if err == nil {
		syscall.CloseOnExec(p[0])
		syscall.CloseOnExec(p[1])
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return -1, -1, os.NewSyscallError("pipe", err)
	}
	pe, ce := p[1], p[0]
	if parentReads {
		pe, ce = p[0], p[1]
	}
	if err := syscall.SetNonblock(pe, true); err != nil {
		syscall.Close(p[0])
		syscall.Close(p[1])
		return -1, -1, os.NewSyscallError("setnonblock", err)
	}
	return pe, ce, nil
}
