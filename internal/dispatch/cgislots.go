package dispatch

import (
	"time"

	"webserv/internal/config"
	"webserv/internal/http1"
	"webserv/internal/response"
)

// A CGI request takes one of the Dispatcher's CGISlots (cgi_max_processes)
// for as long as its program runs. Past the bound, requests wait briefly
// for a slot and are then refused with 503 and Retry-After, as a server
// that is overloaded, not broken, answers (RFC 9110 §15.6.4).
const (
	// cgiQueueWait is the longest a request waits for a slot before its
	// 503 (cgi_timeout, when shorter, bounds it too: a client would not
	// wait longer for the program itself). A few seconds ride out a burst
	// of short programs without holding clients on a server that stays
	// full.
	cgiQueueWait = 3 * time.Second
	// cgiRetryAfter is the Retry-After of that 503, in seconds (RFC 9110
	// §10.2.3): the same few seconds.
	cgiRetryAfter = "3"
)

// errCGIBusy answers a request that found no CGI slot in time.
var errCGIBusy = &http1.StatusError{Status: 503, Msg: "cgi: cgi_max_processes programs running, none ended within the queue wait"}

// acquireCGI takes a CGI slot for a program of loc, waiting up to
// cgiQueueWait (or loc's cgi_timeout, if shorter). It returns the
// function that gives the slot back, or errCGIBusy.
func (h *handler) acquireCGI(loc *config.Location) (release func(), err error) {
	slots := h.d.CGISlots
	release = func() { <-slots }
	select {
	case slots <- struct{}{}:
		return release, nil
	default:
	}
	wait := cgiQueueWait
	if loc.CGITimeout > 0 {
		wait = min(wait, loc.CGITimeout)
	}
	n := h.d.Counters
	n.CGIWaiting.Add(1)
	defer n.CGIWaiting.Add(-1)
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case slots <- struct{}{}:
		return release, nil
	case <-t.C:
	case <-h.d.Done: // shutting down: no new programs
	}
	n.CGIRejected.Add(1)
	return nil, errCGIBusy // logged at error with the other 5xx (logFailure)
}

// retryAfterCGI marks a 503 for want of a slot with Retry-After.
func retryAfterCGI(w response.Writer, err error) {
	if err == errCGIBusy {
		w.Header().Set("Retry-After", cgiRetryAfter)
	}
}
