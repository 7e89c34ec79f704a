package wait

import (
	"errors"
	"testing"
	"time"
)

func TestPollMet(t *testing.T) {
	t.Parallel()
	calls := 0
	err := Poll(10*time.Second, func() error {
		if calls++; calls < 5 {
			return errors.New("not yet")
		}
		return nil
	})
	if err != nil || calls != 5 {
		t.Errorf("got %v after %d calls, want nil after 5", err, calls)
	}
}

// A condition never met: Poll gives up once the timeout has passed (not
// before), with the condition's last error.
func TestPollTimeout(t *testing.T) {
	t.Parallel()
	const timeout = 20 * time.Millisecond
	calls := 0
	start := time.Now()
	err := Poll(timeout, func() error {
		calls++
		return errors.New("still not")
	})
	if err == nil || err.Error() != "still not" || calls < 2 {
		t.Errorf("got %v after %d calls, want the last error after at least 2", err, calls)
	}
	if waited := time.Since(start); waited < timeout {
		t.Errorf("gave up after %v, before the timeout of %v", waited, timeout)
	}
}
