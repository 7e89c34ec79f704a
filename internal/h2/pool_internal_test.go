package h2

import "testing"

// An idle handler goroutine is ended by the reaper once it has waited
// three of its epochs (handlerIdle to 1.5 handlerIdle), not before; the
// reaper runs directly here instead of from its timer.
func TestIdleWorkersReaped(t *testing.T) {
	w := &worker{ch: make(chan *Stream, 1)}
	iw := &idleWorkers
	iw.mu.Lock()
	w.epoch = iw.epoch
	iw.stack = append([]*worker{w}, iw.stack...) // the bottom: waited longest
	iw.mu.Unlock()
	for range 2 {
		reapWorkers()
		select {
		case <-w.ch:
			t.Fatal("a worker was ended before handlerIdle")
		default:
		}
	}
	reapWorkers()
	select {
	case st := <-w.ch:
		if st != nil {
			t.Fatal("the idle worker was given a stream, not ended")
		}
	default:
		t.Fatal("a worker idle for three epochs was not ended")
	}
	iw.mu.Lock()
	defer iw.mu.Unlock()
	for _, o := range iw.stack {
		if o == w {
			t.Fatal("an ended worker is still on the idle stack")
		}
	}
}
