//go:build darwin || freebsd

package server

import (
	"syscall"
	"time"
)

// Parking on macOS and FreeBSD: a kqueue (kqueue(2)) of our own (park.go).

// newPoller opens the kqueue, close-on-exec under ForkLock (as the os
// package does) so that no CGI program started meanwhile inherits it.
func newPoller() (int, error) {
	syscall.ForkLock.RLock()
	defer syscall.ForkLock.RUnlock()
	fd, err := syscall.Kqueue()
	if err != nil {
		return -1, err
	}
	syscall.CloseOnExec(fd)
	return fd, nil
}

// loop waits for parked connections to become readable or hang up
// (EVFILT_READ reports both; a hang-up sets EV_EOF).
func (p *parker) loop() {
	events := make([]syscall.Kevent_t, 256)
	for {
		n, err := syscall.Kevent(p.pfd, nil, events, nil)
		if err != nil {
			if err == syscall.EINTR {
				continue
			}
			// Not expected; parked connections still have their timers.
			time.Sleep(10 * time.Millisecond)
			continue
		}
		for _, ev := range events[:n] {
			p.wake(int32(ev.Ident))
		}
	}
}

// watchOp: EV_ADD both registers a descriptor and re-arms the one-shot
// registration a wake-up deleted, so there is nothing to remember.
func watchOp(c *conn) int { return 0 }

// watch registers fd for one wake-up (EV_ONESHOT).
func (p *parker) watch(fd, _ int) error {
	var ev [1]syscall.Kevent_t
	syscall.SetKevent(&ev[0], fd, syscall.EVFILT_READ, syscall.EV_ADD|syscall.EV_ONESHOT)
	for {
		_, err := syscall.Kevent(p.pfd, ev[:], nil, nil)
		if err != syscall.EINTR {
			return err
		}
	}
}

func unwatched(c *conn, op int) {}
