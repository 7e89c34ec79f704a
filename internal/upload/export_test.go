package upload

import "sync/atomic"

// CountProbes returns an Env whose requests count the names linkUnique
// tries, and the function reading the count.
func CountProbes() (env *Env, count func() int64) {
	var n atomic.Int64
	return &Env{hooks: &hooks{probe: func() { n.Add(1) }}}, n.Load
}

// InjectFSError returns an Env whose requests fail the store operation op
// ("open store", "create", "write", "sync") with err.
func InjectFSError(op string, err error) *Env {
	return &Env{hooks: &hooks{fs: func(o string) error {
		if o == op {
			return err
		}
		return nil
	}}}
}

// Shared reports how many store directories r holds open.
func (r *Roots) Shared() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.m)
}

// CountSyncs returns an Env whose requests count the stored files
// fsynced, and the function reading the count.
func CountSyncs() (env *Env, count func() int64) {
	var n atomic.Int64
	return &Env{hooks: &hooks{sync: func() { n.Add(1) }}}, n.Load
}
