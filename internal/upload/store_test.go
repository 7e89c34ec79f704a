package upload

import (
	"errors"
	"io/fs"
	"strings"
	"sync"
	"syscall"
	"testing"

	"webserv/internal/http1"
)

// TestStoreErrors: what the store's failures answer (issue 14 item 9): a
// full disk or quota 507, out of descriptors 503, no permission or a
// read-only file system 403 — the 507s and 403s carrying the cause for
// the error log — and nothing left behind.
func TestStoreErrors(t *testing.T) {
	t.Parallel()
	pathErr := func(op string, errno syscall.Errno) error {
		return &fs.PathError{Op: op, Path: "/store/.upload-x", Err: errno}
	}
	tests := []struct {
		name       string
		op         string
		err        error
		wantStatus int
		wantCause  bool // the cause is in the chain, for the log
	}{
		{"write ENOSPC", "write", pathErr("write", syscall.ENOSPC), 507, true},
		{"write EDQUOT", "write", pathErr("write", syscall.EDQUOT), 507, true},
		{"create ENOSPC", "create", pathErr("open", syscall.ENOSPC), 507, true},
		{"sync ENOSPC", "sync", pathErr("fsync", syscall.ENOSPC), 507, true},
		{"open store EMFILE", "open store", pathErr("openat", syscall.EMFILE), 503, false},
		{"create ENFILE", "create", pathErr("open", syscall.ENFILE), 503, false},
		{"open store EACCES", "open store", pathErr("openat", syscall.EACCES), 403, true},
		{"create EACCES", "create", pathErr("open", syscall.EACCES), 403, true},
		{"create EPERM", "create", pathErr("open", syscall.EPERM), 403, true},
		{"create EROFS", "create", pathErr("open", syscall.EROFS), 403, true},
	}
	for _, tt := range tests {
		for _, method := range []string{"POST", "PUT"} {
			t.Run(tt.name+" "+method, func(t *testing.T) {
				t.Parallel()
				env := InjectFSError(tt.op, tt.err)
				loc := newLoc(t)
				req := newReq(method)
				_, _, err := serve(t, req, func(w *http1.ResponseWriter) error {
					if method == "PUT" {
						return Put(w, req, strings.NewReader("content"), loc, "/uploads/a.txt", env)
					}
					return Post(w, req, strings.NewReader("content"), loc, "/uploads/a.txt", env)
				})
				if status(err) != tt.wantStatus {
					t.Errorf("error %v (status %d), want %d", err, status(err), tt.wantStatus)
				}
				if got := errors.Is(err, tt.err.(*fs.PathError).Err); got != tt.wantCause {
					t.Errorf("error %v: cause in the chain %v, want %v", err, got, tt.wantCause)
				}
				if tt.wantCause && !strings.Contains(err.Error(), " in "+loc.UploadStore+": ") {
					t.Errorf("error %q does not name the store %s", err, loc.UploadStore)
				}
				if names := dirNames(t, loc.UploadStore); len(names) != 0 {
					t.Errorf("store holds %q after a failed upload", names)
				}
			})
		}
	}
}

// TestRootsShared: requests to one store at the same time share one open
// directory, closed when the last of them is done.
func TestRootsShared(t *testing.T) {
	t.Parallel()
	var roots Roots
	dir := t.TempDir()
	const n = 8
	var wg sync.WaitGroup
	got := make(chan any, n)
	releases := make(chan func(), n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			root, release, err := roots.open(dir)
			if err != nil {
				t.Error(err)
				return
			}
			got <- root
			releases <- release
		}()
	}
	wg.Wait()
	close(got)
	close(releases)
	var first any
	for r := range got {
		if first == nil {
			first = r
		} else if r != first {
			t.Error("two open directories for one store")
		}
	}
	if roots.Shared() != 1 {
		t.Errorf("%d directories open, want 1", roots.Shared())
	}
	for release := range releases {
		release()
	}
	if roots.Shared() != 0 {
		t.Errorf("%d directories open after every release, want 0", roots.Shared())
	}
	if _, _, err := roots.open(dir + "/missing"); err == nil || status(err) != 500 {
		t.Errorf("missing store: error %v, want a 500", err)
	}
}
