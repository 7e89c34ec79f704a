//go:build !linux

package cgi

import "os"

// newPipe makes the pipe for one of the program's standard streams; the
// parent's end is the read end when parentReads. (pipe_linux.go makes the
// child's end blocking from the start.)
func newPipe(parentReads bool) (parent, child *os.File, err error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, nil, err
	}
	if parentReads {
		return r, w, nil
	}
	return w, r, nil
}
