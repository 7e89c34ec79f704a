package upload

import "sync/atomic"

// CountProbes counts the names linkUnique tries in the store directory
// dir until the returned function is called, which removes the hook and
// returns the count. Tests using it must not run in parallel with other
// tests of the package that store files.
func CountProbes(dir string) (stop func() int64) {
	var n atomic.Int64
	testHookProbe = func(store string) {
		if store == dir {
			n.Add(1)
		}
	}
	return func() int64 {
		testHookProbe = nil
		return n.Load()
	}
}

// InjectFSError makes the store operation op ("open store", "create",
// "write", "sync") fail with err until restore is called. Not for parallel tests.
func InjectFSError(op string, err error) (restore func()) {
	testHookFS = func(o string) error {
		if o == op {
			return err
		}
		return nil
	}
	return func() { testHookFS = nil }
}

// Shared reports how many store directories r holds open.
func (r *Roots) Shared() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.m)
}

// CountSyncs counts the stored files fsynced in the store directory dir
// until the returned function is called, which removes the hook and
// returns the count. Tests using it must not run in parallel with other
// tests of the package that store files.
func CountSyncs(dir string) (stop func() int64) {
	var n atomic.Int64
	testHookSync = func(store string) {
		if store == dir {
			n.Add(1)
		}
	}
	return func() int64 {
		testHookSync = nil
		return n.Load()
	}
}
