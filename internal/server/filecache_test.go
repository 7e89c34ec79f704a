package server_test

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"webserv/internal/server"
	"webserv/internal/servertest"
)

// The small-file cache (internal/static/cache.go) must never serve a file
// that changed, moved or turned into a symlink out of the root: each case
// fetches a file (filling the cache), changes it behind the server's back,
// and fetches it again.

// newCacheServer starts cacheConf (plus extra) with files cacheable at
// once: they are new, and the cache otherwise waits a second for a file
// to settle (server.CacheNew; static.Options.CacheNew).
func newCacheServer(t *testing.T, extra string, ports int, files map[string]string) *servertest.Server {
	return servertest.Start(t, cacheConf+extra, ports, files, server.CacheNew)
}

const cacheConf = `
server {
    listen 127.0.0.1:$PORT0;
    root www;
    location /a/ { root other; }
}
`

func getBody(t *testing.T, c *http.Client, url string) (int, string) {
	t.Helper()
	st, body, err := fetch(c, url)
	if err != nil {
		t.Fatal(err)
	}
	return st, body
}

func TestFileCacheFreshness(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "secret.txt")
	if err := os.WriteFile(secret, []byte("SECRET"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		change func(t *testing.T, path string)
		status int
		body   string
	}{
		{"rewritten, same size and mtime", func(t *testing.T, p string) {
			fi, _ := os.Stat(p)
			if err := os.WriteFile(p, []byte("version-2"), 0o644); err != nil {
				t.Fatal(err)
			}
			// Put the modification time back: only ctime tells.
			os.Chtimes(p, fi.ModTime(), fi.ModTime())
		}, 200, "version-2"},
		{"replaced by rename", func(t *testing.T, p string) {
			tmp := p + ".tmp"
			os.WriteFile(tmp, []byte("renamed!!"), 0o644)
			if err := os.Rename(tmp, p); err != nil {
				t.Fatal(err)
			}
		}, 200, "renamed!!"},
		{"truncated", func(t *testing.T, p string) {
			if err := os.Truncate(p, 3); err != nil {
				t.Fatal(err)
			}
		}, 200, "ver"},
		{"deleted", func(t *testing.T, p string) {
			if err := os.Remove(p); err != nil {
				t.Fatal(err)
			}
		}, 404, ""},
		{"made unreadable", func(t *testing.T, p string) {
			if os.Geteuid() == 0 {
				t.Skip("root reads any file")
			}
			os.Chmod(p, 0)
		}, 403, ""},
		{"swapped for a symlink out of the root", func(t *testing.T, p string) {
			os.Remove(p)
			if err := os.Symlink(secret, p); err != nil {
				t.Fatal(err)
			}
		}, 404, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newCacheServer(t, "", 1, map[string]string{"www/f.txt": "version-1", "other/": ""})
			c := servertest.Client()
			for range 3 {
				if st, body := getBody(t, c, s.URL(0, "/f.txt")); st != 200 || body != "version-1" {
					t.Fatalf("before: %d %q", st, body)
				}
			}
			tc.change(t, filepath.Join(s.Dir, "www", "f.txt"))
			st, body := getBody(t, c, s.URL(0, "/f.txt"))
			if st != tc.status || tc.status == 200 && body != tc.body {
				t.Errorf("after: %d %q, want %d %q", st, body, tc.status, tc.body)
			}
			if st == 200 && body == "SECRET" || st != 200 && body == "SECRET" {
				t.Error("served a file outside the root")
			}
		})
	}
}

// Two locations serving the same URL path from different roots, and two
// servers with the same path, keep separate entries.
func TestFileCacheKeyedByLocation(t *testing.T) {
	s := newCacheServer(t, `
server {
    listen 127.0.0.1:$PORT1;
    root www2;
}
`, 2, map[string]string{
		"www/a/x.txt":   "from www",
		"other/a/x.txt": "from other",
		"www2/a/x.txt":  "from www2",
	})
	c := servertest.Client()
	for range 3 {
		for _, want := range []struct {
			port int
			body string
		}{{0, "from other"}, {1, "from www2"}} {
			if st, body := getBody(t, c, s.URL(want.port, "/a/x.txt")); st != 200 || body != want.body {
				t.Fatalf("port %d: %d %q, want %q", want.port, st, body, want.body)
			}
		}
	}
}

// A reload that changes the root serves the new root's file at once.
func TestFileCacheReload(t *testing.T) {
	s := newCacheServer(t, "", 1, map[string]string{"www/f.txt": "old root", "new/f.txt": "new root", "other/": ""})
	c := servertest.Client()
	for range 3 {
		if st, body := getBody(t, c, s.URL(0, "/f.txt")); st != 200 || body != "old root" {
			t.Fatalf("before: %d %q", st, body)
		}
	}
	if err := s.Srv.Reload(parseConf(t, s, `
server {
    listen 127.0.0.1:$PORT0;
    root new;
}
`)); err != nil {
		t.Fatal(err)
	}
	if st, body := getBody(t, c, s.URL(0, "/f.txt")); st != 200 || body != "new root" {
		t.Errorf("after reload: %d %q", st, body)
	}
}

// A file named with a trailing slash names no directory (SPEC §3): 404, as
// nginx answers, whether the file is small (cached), large or already in
// the cache under its plain name; HEAD agrees with GET.
func TestFileTrailingSlash(t *testing.T) {
	s := newCacheServer(t, "", 1, map[string]string{
		"www/f.txt":        "small",
		"www/big.bin":      strings.Repeat("b", 64<<10),
		"www/d/index.html": "dir index",
		"other/":           "",
	})
	c := servertest.Client()
	for range 3 {
		for _, tc := range []struct {
			path   string
			status int
		}{
			{"/f.txt", 200},
			{"/f.txt/", 404},
			{"/f.txt/.", 404},
			{"/f.txt//", 404},
			{"/big.bin/", 404},
			{"/d/", 200},
			{"/d/index.html/", 404},
		} {
			for _, method := range []string{"GET", "HEAD"} {
				req, err := http.NewRequest(method, s.URL(0, tc.path), nil)
				if err != nil {
					t.Fatal(err)
				}
				resp, err := c.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != tc.status {
					t.Errorf("%s %s: got %d, want %d", method, tc.path, resp.StatusCode, tc.status)
				}
			}
		}
	}
}

// A file above the small-file cache keeps its metadata in a meta entry
// (internal/static, storeMeta), which answers HEAD and a revalidating GET
// (304) with a stat and no open: it too must never answer for a file that
// changed, moved or turned into a symlink out of the root.
func TestFileMetaCacheFreshness(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "secret.bin")
	if err := os.WriteFile(secret, []byte(strings.Repeat("S", 40<<10)), 0o644); err != nil {
		t.Fatal(err)
	}
	const size = 20 << 10
	cases := []struct {
		name   string
		change func(t *testing.T, path string)
		status int   // of HEAD and of the GET revalidating the old ETag
		length int64 // HEAD's Content-Length on a 200
	}{
		{"grown in place", func(t *testing.T, p string) {
			f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0)
			if err != nil {
				t.Fatal(err)
			}
			f.WriteString("more")
			f.Close()
		}, 200, size + 4},
		{"replaced by rename", func(t *testing.T, p string) {
			tmp := p + ".tmp"
			os.WriteFile(tmp, []byte(strings.Repeat("r", size+1)), 0o644)
			if err := os.Rename(tmp, p); err != nil {
				t.Fatal(err)
			}
		}, 200, size + 1},
		{"deleted", func(t *testing.T, p string) {
			if err := os.Remove(p); err != nil {
				t.Fatal(err)
			}
		}, 404, 0},
		{"swapped for a symlink out of the root", func(t *testing.T, p string) {
			os.Remove(p)
			if err := os.Symlink(secret, p); err != nil {
				t.Fatal(err)
			}
		}, 404, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newCacheServer(t, "", 1, map[string]string{"www/big.bin": strings.Repeat("o", size), "other/": ""})
			c := servertest.Client()
			do := func(method string, hdr ...string) *http.Response {
				t.Helper()
				req, err := http.NewRequest(method, s.URL(0, "/big.bin"), nil)
				if err != nil {
					t.Fatal(err)
				}
				if len(hdr) == 2 {
					req.Header.Set(hdr[0], hdr[1])
				}
				resp, err := c.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				return resp
			}
			etag := do("GET").Header.Get("ETag")
			for range 3 {
				if r := do("HEAD"); r.StatusCode != 200 || r.ContentLength != size || r.Header.Get("ETag") != etag {
					t.Fatalf("HEAD before: %d, %d bytes, ETag %q", r.StatusCode, r.ContentLength, r.Header.Get("ETag"))
				}
				if r := do("GET", "If-None-Match", etag); r.StatusCode != 304 {
					t.Fatalf("revalidation before: %d", r.StatusCode)
				}
			}
			tc.change(t, filepath.Join(s.Dir, "www", "big.bin"))
			r := do("HEAD")
			if r.StatusCode != tc.status || tc.status == 200 && (r.ContentLength != tc.length || r.Header.Get("ETag") == etag) {
				t.Errorf("HEAD after: %d, %d bytes, ETag %q; want %d, %d bytes, a new ETag", r.StatusCode, r.ContentLength, r.Header.Get("ETag"), tc.status, tc.length)
			}
			if r := do("GET", "If-None-Match", etag); r.StatusCode != tc.status {
				t.Errorf("revalidation after: %d, want %d", r.StatusCode, tc.status)
			}
		})
	}
}
