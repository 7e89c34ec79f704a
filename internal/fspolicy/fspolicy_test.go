package fspolicy

import (
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"webserv/internal/config"
	"webserv/internal/http1"
)

// Error's message is the cause the error log gives (the server's
// handler): a 403 from an unreadable root says so.
func TestErrorCauses(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		err    error
		status int
		msg    string
	}{
		{syscall.ENOENT, 404, "file not found"},
		{syscall.ENOTDIR, 404, "file not found"},
		{syscall.ENAMETOOLONG, 404, "file not found"},
		{syscall.EACCES, 403, "permission denied"},
		{&os.PathError{Op: "open", Path: "/x", Err: syscall.EPERM}, 403, "permission denied"},
		{syscall.EROFS, 403, "permission denied"},
		{syscall.EMFILE, 503, "out of file descriptors"},
		{syscall.ENFILE, 503, "out of file descriptors"},
		{&fs.PathError{Op: "write", Path: "/x", Err: syscall.ENOSPC}, 507, "insufficient storage"},
		{syscall.EDQUOT, 507, "insufficient storage"},
	} {
		se := http1.StatusOf(Error(tc.err))
		if se == nil || se.Status != tc.status || se.Msg != tc.msg {
			t.Errorf("Error(%v): got %v, want %d %q", tc.err, se, tc.status, tc.msg)
		}
	}
	if err := Error(syscall.EIO); err != syscall.EIO {
		t.Errorf("Error(EIO) = %v, want it unchanged (a 500)", err)
	}
}

func TestWithin(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		p, base string
		want    bool
	}{
		{"/srv/www", "/srv/www", true},
		{"/srv/www/a", "/srv/www", true},
		{"/srv/wwwx", "/srv/www", false},
		{"/srv", "/srv/www", false},
		{"/anything", "/", true},
	} {
		if got := Within([]byte(tc.p), tc.base); got != tc.want {
			t.Errorf("Within(%q, %q) = %v", tc.p, tc.base, got)
		}
	}
}

// CheckSymlinks resolves the root through a symlink too, remembers it in
// Bases, and refuses a link out of it; Escapes tells a path a symlink
// leads out of its base.
func TestCheckSymlinksAndEscapes(t *testing.T) {
	t.Parallel()
	top := t.TempDir()
	root := filepath.Join(top, "www")
	os.MkdirAll(root, 0o755)
	os.WriteFile(filepath.Join(root, "in.txt"), nil, 0o644)
	os.WriteFile(filepath.Join(top, "secret"), nil, 0o644)
	os.Symlink("../secret", filepath.Join(root, "out"))
	os.Symlink(top, filepath.Join(root, "updir"))
	os.Symlink("www", filepath.Join(top, "site"))
	var b Bases
	loc := &config.Location{Root: filepath.Join(top, "site"), DisableSymlinks: true}
	if err := CheckSymlinks(&b, loc, filepath.Join(loc.Root, "in.txt")); err != nil {
		t.Errorf("inside: %v", err)
	}
	if err := CheckSymlinks(&b, loc, filepath.Join(loc.Root, "out")); err != Outside {
		t.Errorf("outside: %v", err)
	}
	if err := CheckSymlinks(nil, loc, filepath.Join(loc.Root, "missing")); err != NotFound {
		t.Errorf("missing: %v", err)
	}
	// Components below the root are looked at one by one (plainBelow);
	// a symlink among them has the whole path resolved.
	os.MkdirAll(filepath.Join(root, "sub"), 0o755)
	os.Symlink("../in.txt", filepath.Join(root, "sub", "back"))
	for _, tt := range []struct {
		rel  string
		want error
	}{
		{"sub", nil},
		{"sub/", nil},
		{"sub/back", nil},
		{"updir/secret", Outside},
		{"updir/www/in.txt", nil},
		{"sub/missing", NotFound},
		{"in.txt/x", NotFound},
		{"in.txt/", NotFound}, // ENOTDIR, as the whole path resolved says
	} {
		if err := CheckSymlinks(&b, loc, loc.Root+"/"+tt.rel); err != tt.want {
			t.Errorf("%s: %v, want %v", tt.rel, err, tt.want)
		}
	}
	if real, _ := b.Real(loc); real != root {
		t.Errorf("Real = %q, want %q", real, root)
	}
	if Escapes(root, "in.txt") || !Escapes(root, "out") || !Escapes(root, "updir/secret") {
		t.Error("Escapes wrong")
	}
}
