package server

import "syscall"

// Descriptors inherited from whatever started the server (a shell, a
// supervisor, a CI runner) without close-on-exec would otherwise pass on
// to every CGI program: os/exec closes only the descriptors Go opened
// itself (all close-on-exec), not the ones the process found open at
// start. A CGI program could then read or write a socket or file of the
// parent's, or keep a pipe open that the parent waits on. SPEC §5: no
// leaked descriptors.

// maxScanFD caps the scan of descriptor numbers where the open ones cannot
// be listed (no /proc): the soft RLIMIT_NOFILE may be a million or
// unlimited, and inherited descriptors sit at the bottom anyway.
const maxScanFD = 65536

// CloseOnExecInherited marks every open descriptor above stderr
// close-on-exec. It is meant for the very start of the process, before
// anything could rely on a descriptor being inherited.
func CloseOnExecInherited() {
	fds, ok := openFDs()
	if !ok {
		n := maxScanFD
		var lim syscall.Rlimit
		if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim) == nil && uint64(lim.Cur) < uint64(n) {
			n = int(lim.Cur)
		}
		for fd := 3; fd < n; fd++ {
			fds = append(fds, fd)
		}
	}
	for _, fd := range fds {
		if fd > 2 {
			syscall.CloseOnExec(fd) // EBADF for a number not open: nothing to do
		}
	}
}
