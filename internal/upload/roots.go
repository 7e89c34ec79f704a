package upload

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
	"syscall"
)

// Roots shares one open directory (os.Root, whose methods are safe for
// concurrent use) per upload store among the requests using it at the same
// time. A slow upload then holds two descriptors, its socket and its
// temporary file, and however many there are, a store costs one more: the
// figure a descriptor limit has to allow for (docs/configuration.md,
// upload_store). A directory is closed when the last request using it
// ends, so an idle server holds none and a store directory replaced on
// disk is opened afresh once the requests still using the old one are
// done. The zero value is ready to use; the server owns one.
type Roots struct {
	mu sync.Mutex
	m  map[string]*sharedRoot // by store path
}

type sharedRoot struct {
	root *os.Root
	refs int // requests using root; guarded by Roots.mu
}

// open returns the open directory dir and the function that releases it.
// With a nil *Roots the directory is the caller's alone.
func (r *Roots) open(dir string) (*os.Root, func(), error) {
	if r == nil {
		root, err := openRoot(dir)
		if err != nil {
			return nil, nil, err
		}
		return root, func() { root.Close() }, nil
	}
	r.mu.Lock()
	sr := r.m[dir]
	if sr != nil {
		sr.refs++
		r.mu.Unlock()
		return sr.root, func() { r.release(dir, sr) }, nil
	}
	r.mu.Unlock()
	// Opened without the lock: a slow file system must not hold up
	// uploads to the other stores.
	root, err := openRoot(dir)
	if err != nil {
		return nil, nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if sr = r.m[dir]; sr != nil { // another request opened it meanwhile
		root.Close()
	} else {
		if r.m == nil {
			r.m = make(map[string]*sharedRoot)
		}
		sr = &sharedRoot{root: root}
		r.m[dir] = sr
	}
	sr.refs++
	return sr.root, func() { r.release(dir, sr) }, nil
}

func (r *Roots) release(dir string, sr *sharedRoot) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if sr.refs--; sr.refs == 0 {
		delete(r.m, dir)
		sr.root.Close()
	}
}

// openRoot opens a store directory. A store that is missing or not a
// directory is a configuration mistake, answered 500 and logged; the
// other failures (no permission, no descriptors) are fsError's.
func openRoot(dir string) (*os.Root, error) {
	root, err := os.OpenRoot(dir)
	switch {
	case err == nil:
		return root, nil
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOTDIR):
		return nil, fmt.Errorf("upload: open store: %w", err)
	}
	return nil, fsError("open store", err)
}

// hooks are set only by tests (export_test.go), on the Env of the requests
// they watch; a nil *hooks, every request's, does nothing.
type hooks struct {
	// fs is called before the store operation op ("open store",
	// "create", "write", "sync"); an error it returns stands for that
	// operation's.
	fs func(op string) error
	// sync is called for every stored file fsynced, probe for every name
	// linkUnique tries.
	sync, probe func()
}

func (h *hooks) fsErr(op string) error {
	if h == nil || h.fs == nil {
		return nil
	}
	return h.fs(op)
}

func (h *hooks) synced() {
	if h != nil && h.sync != nil {
		h.sync()
	}
}

func (h *hooks) probed() {
	if h != nil && h.probe != nil {
		h.probe()
	}
}
