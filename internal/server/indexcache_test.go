package server_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"webserv/internal/server"
	"webserv/internal/servertest"
	"webserv/internal/servertest/wait"
)

// The index cache (internal/static/indexcache.go) must never serve a
// directory's index that changed, went, was outranked by a new one, or
// whose directory turned into a symlink: each case fetches /d/ (filling
// the index cache and, for a small index file, the small-file cache),
// changes the directory or its files behind the server's back, and
// fetches it again.
const indexCacheConf = `
server {
    listen 127.0.0.1:$PORT0;
    root www;
    index index.html index.htm;
}
`

func TestIndexCacheFreshness(t *testing.T) {
	secretDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(secretDir, "index.html"), []byte("SECRET"), 0o644); err != nil {
		t.Fatal(err)
	}
	big := strings.Repeat("B", 20<<10) // above the small-file cache
	type change func(t *testing.T, d string)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name   string
		files  map[string]string // under www/d/, besides index.htm "htm"
		change change
		status int
		body   string
	}{
		{"index rewritten, same size and mtime", map[string]string{"index.html": "index-1"}, func(t *testing.T, d string) {
			p := filepath.Join(d, "index.html")
			fi, _ := os.Stat(p)
			must(os.WriteFile(p, []byte("index-2"), 0o644))
			os.Chtimes(p, fi.ModTime(), fi.ModTime())
		}, 200, "index-2"},
		{"large index rewritten", map[string]string{"index.html": big}, func(t *testing.T, d string) {
			must(os.WriteFile(filepath.Join(d, "index.html"), []byte(strings.ToLower(big)), 0o644))
		}, 200, strings.ToLower(big)},
		{"index removed", map[string]string{"index.html": "index-1"}, func(t *testing.T, d string) {
			must(os.Remove(filepath.Join(d, "index.html")))
		}, 200, "htm"},
		{"large index removed", map[string]string{"index.html": big}, func(t *testing.T, d string) {
			must(os.Remove(filepath.Join(d, "index.html")))
		}, 200, "htm"},
		{"index renamed away", map[string]string{"index.html": "index-1"}, func(t *testing.T, d string) {
			must(os.Rename(filepath.Join(d, "index.html"), filepath.Join(d, "old.html")))
		}, 200, "htm"},
		{"index replaced by rename", map[string]string{"index.html": "index-1"}, func(t *testing.T, d string) {
			must(os.WriteFile(filepath.Join(d, "new.tmp"), []byte("index-R"), 0o644))
			must(os.Rename(filepath.Join(d, "new.tmp"), filepath.Join(d, "index.html")))
		}, 200, "index-R"},
		{"every index removed", map[string]string{"index.html": "index-1"}, func(t *testing.T, d string) {
			must(os.Remove(filepath.Join(d, "index.html")))
			must(os.Remove(filepath.Join(d, "index.htm")))
		}, 403, ""},
		{"an index of higher rank created", nil, func(t *testing.T, d string) {
			must(os.WriteFile(filepath.Join(d, "index.html"), []byte("ranked"), 0o644))
		}, 200, "ranked"},
		{"index swapped for a symlink out of the root", map[string]string{"index.html": "index-1"}, func(t *testing.T, d string) {
			must(os.Remove(filepath.Join(d, "index.html")))
			must(os.Symlink(filepath.Join(secretDir, "index.html"), filepath.Join(d, "index.html")))
		}, 200, "htm"},
		{"index swapped for a directory", map[string]string{"index.html": "index-1"}, func(t *testing.T, d string) {
			must(os.Remove(filepath.Join(d, "index.html")))
			must(os.Mkdir(filepath.Join(d, "index.html"), 0o755))
		}, 200, "htm"},
		{"directory swapped for a symlink out of the root", map[string]string{"index.html": "index-1"}, func(t *testing.T, d string) {
			must(os.RemoveAll(d))
			must(os.Symlink(secretDir, d))
		}, 404, ""},
		{"directory swapped for a symlink inside the root", map[string]string{"index.html": "index-1"}, func(t *testing.T, d string) {
			must(os.RemoveAll(d))
			must(os.Symlink("e", d))
		}, 200, "in e"},
		{"directory replaced by rename", map[string]string{"index.html": "index-1"}, func(t *testing.T, d string) {
			must(os.Rename(d, d+".old"))
			must(os.Rename(filepath.Join(filepath.Dir(d), "e"), d))
		}, 200, "in e"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			files := map[string]string{"www/d/index.htm": "htm", "www/e/index.html": "in e"}
			for name, body := range tc.files {
				files["www/d/"+name] = body
			}
			s := servertest.Start(t, indexCacheConf, 1, files, server.CacheNew)
			c := servertest.Client()
			want := tc.files["index.html"]
			if want == "" {
				want = "htm"
			}
			for range 3 {
				if st, body := getBody(t, c, s.URL(0, "/d/")); st != 200 || body != want {
					t.Fatalf("before: %d %.20q", st, body)
				}
			}
			afterTick(t, s.Dir)
			tc.change(t, filepath.Join(s.Dir, "www", "d"))
			st, body := getBody(t, c, s.URL(0, "/d/"))
			if st != tc.status || tc.status == 200 && body != tc.body {
				t.Errorf("after: %d %.20q, want %d %.20q", st, body, tc.status, tc.body)
			}
			if strings.Contains(body, "SECRET") {
				t.Error("served a file outside the root")
			}
		})
	}
}

// afterTick returns once the file system's clock has moved past the
// timestamps of what dir holds: with the racy window at 0, a change made
// in the same clock tick as the files were written could keep every
// timestamp the caches compare. It waits for the mtime of a probe file it
// rewrites to change.
func afterTick(t *testing.T, dir string) {
	t.Helper()
	probe := filepath.Join(dir, ".tick")
	mtime := func() (time.Time, error) {
		if err := os.WriteFile(probe, nil, 0o644); err != nil {
			return time.Time{}, err
		}
		fi, err := os.Stat(probe)
		if err != nil {
			return time.Time{}, err
		}
		return fi.ModTime(), nil
	}
	defer os.Remove(probe)
	first, err := mtime()
	if err != nil {
		t.Fatal(err)
	}
	wait.Until(t, servertest.IOTimeout, func() error {
		m, err := mtime()
		if err == nil && m.Equal(first) {
			err = errors.New("the file system clock has not moved")
		}
		return err
	})
}
