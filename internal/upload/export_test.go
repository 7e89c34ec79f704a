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
