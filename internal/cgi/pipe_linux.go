package cgi

import (
	"os"
	"syscall"
)

// newPipe makes the pipe for one of the program's standard streams: the
// parent's end non-blocking and in the runtime's poller (its reads and
// writes take deadlines), the child's end blocking, as a program expects
// its stdin, stdout and stderr to be, and a bare descriptor: the parent
// only hands it to the child and closes it. parentReads says which end is
// the parent's.
//
// os.Pipe makes both ends non-blocking and registers both with the
// poller, and handing the child's end to exec makes it blocking again
// (File.Fd): twice the fcntl and epoll_ctl calls per pipe.
func newPipe(parentReads bool) (parent *os.File, child int, err error) {
	pe, ce, err := rawPipe(parentReads)
	if err != nil {
		return nil, -1, err
	}
	// os.NewFile sees the parent's end non-blocking and registers it with
	// the poller.
	return os.NewFile(uintptr(pe), pipeName(!parentReads)), ce, nil
}

// rawPipe is newPipe with the parent's end a bare descriptor too
// (non-blocking, close-on-exec), for a stream that may never need the
// poller (stderrPipe).
func rawPipe(parentReads bool) (parent, child int, err error) {
	var p [2]int
	if err := syscall.Pipe2(p[:], syscall.O_CLOEXEC|syscall.O_NONBLOCK); err != nil {
		return -1, -1, os.NewSyscallError("pipe2", err)
	}
	pe, ce := p[1], p[0]
	if parentReads {
		pe, ce = p[0], p[1]
	}
	// Each end is an open file description of its own, so this clears
	// O_NONBLOCK on the child's end only; a pipe has none of the other
	// flags F_SETFL sets (O_APPEND, O_ASYNC, O_DIRECT, O_NOATIME).
	if _, _, e := syscall.Syscall(syscall.SYS_FCNTL, uintptr(ce), syscall.F_SETFL, 0); e != 0 {
		syscall.Close(p[0])
		syscall.Close(p[1])
		return -1, -1, os.NewSyscallError("fcntl", e)
	}
	return pe, ce, nil
}

// pipeName names a pipe end in errors as os.Pipe does.
func pipeName(write bool) string {
	if write {
		return "|1"
	}
	return "|0"
}
