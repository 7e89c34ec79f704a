package wait

import (
	"testing"
	"time"
)

// The pause between two checks of a polled condition starts short, so that
// a condition met at once costs a test almost nothing, and doubles up to a
// cap, so that a slow one (a process group dying, a log written by another
// goroutine) is not checked in a busy loop on a loaded machine.
const (
	pollFirst = time.Millisecond
	pollMax   = 50 * time.Millisecond
)

// Until calls cond until it returns nil, pausing between calls (see
// pollFirst), and fails the test with cond's last error if timeout passes
// first.
func Until(t testing.TB, timeout time.Duration, cond func() error) {
	t.Helper()
	if err := Poll(timeout, cond); err != nil {
		t.Fatalf("still not so after %v: %v", timeout, err)
	}
}

// Poll is Until for a caller that must not stop the test (a helper
// goroutine, a wait whose failure is reported in other words): it returns
// nil once cond does, or cond's last error once timeout has passed.
func Poll(timeout time.Duration, cond func() error) error {
	deadline := time.Now().Add(timeout)
	pause := pollFirst
	for {
		err := cond()
		if err == nil {
			return nil
		}
		if !time.Now().Before(deadline) {
			return err
		}
		time.Sleep(min(pause, time.Until(deadline)))
		pause = min(2*pause, pollMax)
	}
}
