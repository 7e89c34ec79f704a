package server

import (
	"os"
	"strconv"
)

// openFDs lists the process's open descriptors from /proc/self/fd; false
// when /proc is not mounted.
func openFDs() ([]int, bool) {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return nil, false
	}
	fds := make([]int, 0, len(ents))
	for _, e := range ents {
		if fd, err := strconv.Atoi(e.Name()); err == nil {
			fds = append(fds, fd)
		}
	}
	return fds, true
}
