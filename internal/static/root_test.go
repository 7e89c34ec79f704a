package static

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"webserv/internal/config"
	"webserv/internal/http1"
)

// disable_symlinks on answers the same whether the kernel enforces it in
// the open (openat2 beneath the root's descriptor, with EXDEV sent to the
// path check) or the path check does it all: a symlink is fine when it
// ends inside the root, however it gets there, and 404 when it ends
// outside.
func TestSymlinkPolicyBeneath(t *testing.T) {
	top := t.TempDir()
	root := filepath.Join(top, "www")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(root, "sub"), 0o755))
	must(os.MkdirAll(filepath.Join(top, "outside"), 0o755))
	must(os.WriteFile(filepath.Join(root, "in.txt"), []byte("inside"), 0o644))
	must(os.WriteFile(filepath.Join(root, "sub", "index.html"), []byte("sub index"), 0o644))
	must(os.WriteFile(filepath.Join(top, "secret.txt"), []byte("SECRET"), 0o644))
	must(os.WriteFile(filepath.Join(top, "outside", "index.html"), []byte("SECRET"), 0o644))
	for link, target := range map[string]string{
		"rel.txt":       "in.txt",                         // inside, relative
		"sub/up.txt":    "../in.txt",                      // inside, through ".." within the root
		"roundtrip.txt": "../www/in.txt",                  // leaves the root and comes back
		"abs.txt":       filepath.Join(root, "in.txt"),    // absolute, inside
		"out.txt":       "../secret.txt",                  // outside
		"absout.txt":    filepath.Join(top, "secret.txt"), // absolute, outside
		"outdir":        "../outside",                     // a directory outside
		"subdir":        "sub",                            // a directory inside
		"chain.txt":     "rel.txt",                        // a chain of links inside
		"chainout.txt":  "out.txt",                        // a chain ending outside
	} {
		must(os.Symlink(target, filepath.Join(root, link)))
	}
	// The root itself reached through a symlink: its real path is the
	// root the policy compares against.
	must(os.Symlink("www", filepath.Join(top, "site")))

	cases := []struct {
		path   string
		status int // 0: served with body
		body   string
	}{
		{"/in.txt", 0, "inside"},
		{"/rel.txt", 0, "inside"},
		{"/sub/up.txt", 0, "inside"},
		{"/roundtrip.txt", 0, "inside"},
		{"/abs.txt", 0, "inside"},
		{"/chain.txt", 0, "inside"},
		{"/subdir/", 0, "sub index"},
		{"/out.txt", 404, ""},
		{"/absout.txt", 404, ""},
		{"/chainout.txt", 404, ""},
		{"/outdir/", 404, ""},
		{"/outdir/index.html", 404, ""},
		{"/missing.txt", 404, ""},
	}
	run := func(t *testing.T) {
		for _, rootPath := range []string{root, filepath.Join(top, "site")} {
			fl := New(Options{})
			defer fl.Close()
			loc := &config.Location{Root: rootPath, DisableSymlinks: true, Index: []string{"index.html"}}
			for _, tc := range cases {
				body, err := serve(fl, loc, tc.path)
				if tc.status == 0 {
					if err != nil || body != tc.body {
						t.Errorf("root %s, %s: got %q, %v; want %q", rootPath, tc.path, body, err, tc.body)
					}
					continue
				}
				if se := statusOf(err); se != tc.status {
					t.Errorf("root %s, %s: got %q, %v; want status %d", rootPath, tc.path, body, err, tc.status)
				}
			}
		}
	}
	t.Run("beneath", func(t *testing.T) {
		if runtime.GOOS != "linux" {
			t.Skip("openat2 is Linux's")
		}
		if !haveOpenat2.Load() {
			t.Skip("this kernel has no openat2")
		}
		run(t)
	})
	t.Run("path check", func(t *testing.T) {
		was := haveOpenat2.Swap(false)
		defer haveOpenat2.Store(was)
		run(t)
	})
}

// On Linux, a file inside the root is opened beneath the root's
// descriptor, and a symlink out of it is refused by the open itself.
func TestOpenBeneathUsed(t *testing.T) {
	if runtime.GOOS != "linux" || !haveOpenat2.Load() {
		t.Skip("no openat2")
	}
	fl := New(Options{})
	defer fl.Close()
	root := t.TempDir()
	os.WriteFile(filepath.Join(root, "f.txt"), []byte("x"), 0o644)
	os.Symlink("/etc/hostname", filepath.Join(root, "out"))
	loc := &config.Location{Root: root, DisableSymlinks: true}
	f, ok, err := fl.openBeneath(loc, []byte(root+"/f.txt\x00"))
	if !ok || err != nil {
		t.Fatalf("inside: ok %v, err %v", ok, err)
	}
	f.close()
	if _, ok, _ := fl.openBeneath(loc, []byte(root+"/out\x00")); ok {
		t.Error("a symlink out of the root was decided beneath it, not sent to the path check")
	}
}

// A root replaced while the server runs (a directory renamed over it) is
// reopened at the next recheck, and Close closes a root only once the
// requests holding it are done, and opens none afterwards.
func TestRootLifecycle(t *testing.T) {
	if runtime.GOOS != "linux" || !haveOpenat2.Load() {
		t.Skip("no openat2")
	}
	fl := New(Options{})
	defer fl.Close()
	top := t.TempDir()
	root := filepath.Join(top, "www")
	os.MkdirAll(root, 0o755)
	os.WriteFile(filepath.Join(root, "f.txt"), []byte("old"), 0o644)
	loc := &config.Location{Root: root, DisableSymlinks: true}
	if body, err := serve(fl, loc, "/f.txt"); err != nil || body != "old" {
		t.Fatalf("got %q, %v", body, err)
	}
	os.Rename(root, root+".old")
	os.MkdirAll(root, 0o755)
	os.WriteFile(filepath.Join(root, "f.txt"), []byte("new"), 0o644)
	v, ok := fl.roots.Load(loc)
	if !ok {
		t.Fatal("no root held")
	}
	v.checked.Add(-int64(rootRecheck)) // as if rootRecheck had passed
	if body, err := serve(fl, loc, "/f.txt"); err != nil || body != "new" {
		t.Fatalf("after the root was replaced and rechecked: got %q, %v", body, err)
	}

	r := fl.rootOf(loc) // a request in flight
	if r == nil {
		t.Fatal("no root")
	}
	fl.Close()
	if n := r.refs.Load(); n != 1 {
		t.Fatalf("after Close, %d references, want the request's 1", n)
	}
	if _, ok := fl.roots.Load(loc); ok {
		t.Error("Close left the root in the table")
	}
	r.release()
	if n := r.refs.Load(); n != 0 {
		t.Errorf("after the request, %d references", n)
	}
	if r.acquire() {
		t.Error("a closed root was acquired")
	}
	if body, err := serve(fl, loc, "/f.txt"); err != nil || body != "new" {
		t.Fatalf("after Close: got %q, %v", body, err)
	}
	if _, ok := fl.roots.Load(loc); ok {
		t.Error("a request after Close opened a root again")
	}
}

// serve runs Serve for a GET of urlPath under loc and returns the body
// sent, or Serve's error.
func serve(fl *Files, loc *config.Location, urlPath string) (string, error) {
	var out bytes.Buffer
	var w http1.ResponseWriter
	w.Reset(&out, 1, false, true)
	req := &http1.Request{Method: []byte("GET"), Minor: 1, ContentLength: -1}
	if err := fl.Serve(&w, req, loc, urlPath, 200); err != nil {
		return "", err
	}
	w.Finish()
	_, body, _ := strings.Cut(out.String(), "\r\n\r\n")
	return body, nil
}

func statusOf(err error) int {
	if se := http1.StatusOf(err); se != nil {
		return se.Status
	}
	return 0
}

// BenchmarkRootOf is what every request under disable_symlinks on pays
// to find its location's root directory (issue 17).
func BenchmarkRootOf(b *testing.B) {
	if runtime.GOOS != "linux" || !haveOpenat2.Load() {
		b.Skip("no openat2")
	}
	fl := New(Options{})
	defer fl.Close()
	locs := make([]*config.Location, 8) // a site with a few locations
	for i := range locs {
		locs[i] = &config.Location{Root: b.TempDir(), DisableSymlinks: true}
		fl.rootOf(locs[i]).release()
	}
	b.ReportAllocs()
	for b.Loop() {
		r := fl.rootOf(locs[3])
		if r == nil {
			b.Fatal("no root")
		}
		r.release()
	}
}
