package server

import (
	"syscall"
	"time"
)

// Parking on Linux: an epoll set (epoll(7)) of our own (park.go).

func newPoller() (int, error) {
	return syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
}

// loop waits for parked connections to become readable or hang up.
func (p *parker) loop() {
	events := make([]syscall.EpollEvent, 256)
	for {
		n, err := syscall.EpollWait(p.pfd, events, -1)
		if err != nil {
			if err == syscall.EINTR {
				continue
			}
			// Not expected; parked connections still have their timers.
			time.Sleep(10 * time.Millisecond)
			continue
		}
		for _, ev := range events[:n] {
			p.wake(ev.Fd)
		}
	}
}

// watchOp returns the epoll_ctl operation that registers c for parking:
// ADD the first time, then MOD, which re-arms the one-shot registration
// the last wake-up disabled. It runs before c is published (park).
func watchOp(c *conn) int {
	op := syscall.EPOLL_CTL_MOD
	if !c.epollAdded {
		op = syscall.EPOLL_CTL_ADD
	}
	c.epollAdded = true
	return op
}

// watch registers fd for one wake-up: readable, or the peer hung up
// (EPOLLRDHUP).
func (p *parker) watch(fd, op int) error {
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLRDHUP | syscall.EPOLLONESHOT, Fd: int32(fd)}
	return syscall.EpollCtl(p.pfd, op, fd, &ev)
}

// unwatched records that watch failed: an ADD left fd unregistered.
func unwatched(c *conn, op int) {
	c.epollAdded = op == syscall.EPOLL_CTL_MOD
}
