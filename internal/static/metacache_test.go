package static

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"webserv/internal/config"
	"webserv/internal/http1"
)

// serveRaw runs Serve for method urlPath under loc with the given request
// fields and returns the response as sent, or the error.
func serveRaw(fl *Files, loc *config.Location, method, urlPath string, fields ...string) (string, error) {
	var out bytes.Buffer
	var w http1.ResponseWriter
	w.Reset(&out, 1, method == "HEAD", true)
	req := &http1.Request{Method: []byte(method), Minor: 1, ContentLength: -1}
	for i := 0; i+1 < len(fields); i += 2 {
		req.Fields = append(req.Fields, http1.Field{Name: []byte(fields[i]), Value: []byte(fields[i+1])})
	}
	if err := fl.Serve(&w, req, loc, urlPath, 200); err != nil {
		return "", err
	}
	w.Finish()
	return out.String(), nil
}

// field returns the value of the named field in the response head resp.
func field(resp, name string) string {
	head, _, _ := strings.Cut(resp, "\r\n\r\n")
	for _, line := range strings.Split(head, "\r\n") {
		if n, v, ok := strings.Cut(line, ": "); ok && strings.EqualFold(n, name) {
			return v
		}
	}
	return ""
}

// countOpens counts the opens of path until the
// returned stop; other tests' opens are not counted.
func countOpens(t *testing.T, path string) (n *atomic.Int64, stop func()) {
	n = new(atomic.Int64)
	h := func(p string) {
		if p == path {
			n.Add(1)
		}
	}
	if !testHookOpen.CompareAndSwap(nil, &h) {
		t.Fatal("open hook in use")
	}
	return n, func() { testHookOpen.Store(nil) }
}

// A file above the small-file cache leaves its metadata in a meta entry
// when served, and a HEAD or a GET answered 304 then costs a stat of its
// path, not an open (issue 17: the HEAD row), while a GET that needs the
// bytes still opens the file.
func TestMetaEntryAnswersWithoutOpen(t *testing.T) {
	// Not parallel: the open hook is the package's.
	fl := New(Options{})
	dir := t.TempDir()
	p := filepath.Join(dir, "big.bin")
	content := bytes.Repeat([]byte("0123456789abcdef"), (smallFile+4096)/16)
	os.WriteFile(p, content, 0o644)
	loc := &config.Location{Root: dir, DisableSymlinks: true}

	// Admitted at its second request (admit).
	if _, err := serveRaw(fl, loc, "GET", "/big.bin"); err != nil {
		t.Fatal(err)
	}
	if e := entryFor(fl, loc, "/big.bin"); e != nil {
		t.Errorf("after one GET: entry %+v, want none", e)
	}
	get, err := serveRaw(fl, loc, "GET", "/big.bin")
	if err != nil {
		t.Fatal(err)
	}
	etag := field(get, "ETag")
	if e := entryFor(fl, loc, "/big.bin"); e == nil || !e.metaOnly || e.body != nil || e.etag != etag {
		t.Errorf("after two GETs: entry %+v, want a meta entry with ETag %s", e, etag)
	}

	opens, stop := countOpens(t, p)
	defer stop()
	head, err := serveRaw(fl, loc, "HEAD", "/big.bin")
	if err != nil {
		t.Fatal(err)
	}
	getHead, _, _ := strings.Cut(get, "\r\n\r\n")
	headHead, body, _ := strings.Cut(head, "\r\n\r\n")
	if headHead != getHead || body != "" {
		t.Errorf("HEAD answered\n%s\nwant the GET's head\n%s", head, getHead)
	}
	notMod, err := serveRaw(fl, loc, "GET", "/big.bin", "If-None-Match", etag)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(notMod, "HTTP/1.1 304 ") || field(notMod, "ETag") != etag {
		t.Errorf("revalidation answered\n%s", notMod)
	}
	notMod, _ = serveRaw(fl, loc, "GET", "/big.bin", "If-Modified-Since", field(get, "Last-Modified"))
	if !strings.HasPrefix(notMod, "HTTP/1.1 304 ") {
		t.Errorf("If-Modified-Since answered\n%s", notMod)
	}
	if n := opens.Load(); n != 0 {
		t.Errorf("HEAD and 304s opened the file %d times, want 0", n)
	}

	// The answers that need the bytes open the file, from the entry's
	// metadata.
	for _, fields := range [][]string{nil, {"If-None-Match", `"other"`}, {"Range", "bytes=0-99"}} {
		resp, err := serveRaw(fl, loc, "GET", "/big.bin", fields...)
		if err != nil {
			t.Fatal(err)
		}
		_, body, _ := strings.Cut(resp, "\r\n\r\n")
		want := string(content)
		if fields != nil && fields[0] == "Range" {
			want = want[:100]
		}
		if body != want || field(resp, "ETag") != etag {
			t.Errorf("GET %q: ETag %q and %d bytes, want %q and %d", fields, field(resp, "ETag"), len(body), etag, len(want))
		}
	}
	if n := opens.Load(); n != 3 {
		t.Errorf("GETs opened the file %d times, want 3", n)
	}
}

// A file asked for again takes a meta entry in a set that small files
// asked for before have filled (victim), where it is the first to go.
func TestMetaEntryTakesFullSet(t *testing.T) {
	t.Parallel()
	fl := New(Options{})
	fl.racyWindow = 0
	dir := t.TempDir()
	loc := &config.Location{Root: dir}
	os.WriteFile(filepath.Join(dir, "big.bin"), bytes.Repeat([]byte("b"), smallFile+1), 0o644)
	set := fl.cacheSet("/big.bin")
	for i := 0; set[len(set)-1].Load() == nil; i++ {
		name := "/s" + strconv.Itoa(i)
		if &fl.cacheSet(name)[0] != &set[0] {
			continue
		}
		os.WriteFile(filepath.Join(dir, name), []byte(name), 0o644)
		cacheBody(t, fl, loc, name)
	}
	for i := range set {
		if e := set[i].Load(); e == nil || e.metaOnly {
			t.Fatalf("slot %d of the set: %+v, want a small file's entry", i, e)
		}
	}
	cacheBody(t, fl, loc, "/big.bin")
	if e := entryFor(fl, loc, "/big.bin"); e == nil || !e.metaOnly {
		t.Fatalf("a file asked for twice found no slot in a full set: %+v", e)
	}
	// The next small file of the set takes the meta entry's slot.
	for i := 0; ; i++ {
		name := "/t" + strconv.Itoa(i)
		if &fl.cacheSet(name)[0] != &set[0] {
			continue
		}
		os.WriteFile(filepath.Join(dir, name), []byte(name), 0o644)
		cacheBody(t, fl, loc, name)
		break
	}
	if e := entryFor(fl, loc, "/big.bin"); e != nil {
		t.Errorf("a small file evicted another small file before the meta entry: %+v", e)
	}
}

// A meta entry never answers for a file that changed: each case serves a
// file twice (the second request makes the entry: admit), changes it
// behind the handler's back, and asks with HEAD, then with a GET
// revalidating the old ETag.
func TestMetaEntryFreshness(t *testing.T) {
	t.Parallel()
	secret := filepath.Join(t.TempDir(), "secret.bin")
	os.WriteFile(secret, bytes.Repeat([]byte("S"), 2*smallFile), 0o644)
	size := smallFile + 100
	cases := []struct {
		name   string
		change func(t *testing.T, path string)
		status int // of HEAD
		get    int // of the GET revalidating the old ETag
		length int // Content-Length of a 200
	}{
		{"rewritten, same size and mtime", func(t *testing.T, p string) {
			fi, _ := os.Stat(p)
			if err := os.WriteFile(p, bytes.Repeat([]byte("v"), size), 0o644); err != nil {
				t.Fatal(err)
			}
			os.Chtimes(p, fi.ModTime(), fi.ModTime()) // only ctime tells
		}, 304, 304, size}, // the validators did not change: 304 is right
		{"replaced by rename", func(t *testing.T, p string) {
			tmp := p + ".tmp"
			os.WriteFile(tmp, bytes.Repeat([]byte("r"), size+1), 0o644)
			if err := os.Rename(tmp, p); err != nil {
				t.Fatal(err)
			}
		}, 200, 200, size + 1},
		{"truncated", func(t *testing.T, p string) {
			if err := os.Truncate(p, 3); err != nil {
				t.Fatal(err)
			}
		}, 200, 200, 3},
		{"deleted", func(t *testing.T, p string) {
			if err := os.Remove(p); err != nil {
				t.Fatal(err)
			}
		}, 404, 404, 0},
		{"swapped for a symlink out of the root", func(t *testing.T, p string) {
			os.Remove(p)
			if err := os.Symlink(secret, p); err != nil {
				t.Fatal(err)
			}
		}, 404, 404, 0},
		{"replaced by a directory", func(t *testing.T, p string) {
			os.Remove(p)
			if err := os.Mkdir(p, 0o755); err != nil {
				t.Fatal(err)
			}
		}, 301, 301, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, method := range []string{"HEAD", "GET"} {
				fl := New(Options{})
				defer fl.Close()
				dir := t.TempDir()
				p := filepath.Join(dir, "f.bin")
				os.WriteFile(p, bytes.Repeat([]byte("o"), size), 0o644)
				loc := &config.Location{Root: dir, DisableSymlinks: true}
				first, err := serveRaw(fl, loc, "GET", "/f.bin")
				if err != nil {
					t.Fatal(err)
				}
				etag := field(first, "ETag")
				if again, _ := serveRaw(fl, loc, "HEAD", "/f.bin"); field(again, "ETag") != etag {
					t.Fatalf("HEAD before the change: %q", again)
				}
				if e := entryFor(fl, loc, "/f.bin"); e == nil || !e.metaOnly {
					t.Fatalf("no meta entry before the change: %+v", e)
				}
				tc.change(t, p)
				resp, err := serveRaw(fl, loc, method, "/f.bin", "If-None-Match", etag)
				status := 0
				if se, ok := err.(*http1.StatusError); ok {
					status = se.Status
				} else if err != nil {
					t.Fatal(err)
				} else {
					status = 200
					if strings.HasPrefix(resp, "HTTP/1.1 304 ") {
						status = 304
					} else if strings.HasPrefix(resp, "HTTP/1.1 301 ") {
						status = 301
					}
				}
				want := tc.status
				if method == "GET" {
					want = tc.get
				}
				if status != want {
					t.Fatalf("%s after the change: status %d, want %d\n%s", method, status, want, resp)
				}
				if status == 200 && field(resp, "Content-Length") != strconv.Itoa(tc.length) {
					t.Errorf("%s after the change: Content-Length %s, want %d", method, field(resp, "Content-Length"), tc.length)
				}
				if strings.Contains(resp, "SSSS") {
					t.Error("served a file outside the root")
				}
			}
		})
	}
}

// disable_symlinks on: the file's directory moved out of the root and a
// symlink to it put in its place leaves the file's identity as it was
// (a rename changes the directory's ctime only), so the stat still
// agrees with a meta entry. The GET that finds the open refused drops
// the entry: a HEAD after it does not say 200 where the GET said 404.
func TestMetaEntryDroppedWhenOpenRefused(t *testing.T) {
	t.Parallel()
	root, out := t.TempDir(), t.TempDir()
	os.Mkdir(filepath.Join(root, "sub"), 0o755)
	os.WriteFile(filepath.Join(root, "sub", "f.bin"), bytes.Repeat([]byte("o"), smallFile+100), 0o644)
	loc := &config.Location{Root: root, DisableSymlinks: true}
	fl := New(Options{CacheNew: true})
	for range 2 { // the second makes the entry (admit)
		if _, err := serveRaw(fl, loc, "GET", "/sub/f.bin"); err != nil {
			t.Fatal(err)
		}
	}
	if e := entryFor(fl, loc, "/sub/f.bin"); e == nil || !e.metaOnly {
		t.Fatalf("no meta entry before the move: %+v", e)
	}
	if err := os.Rename(filepath.Join(root, "sub"), filepath.Join(out, "sub")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(out, "sub"), filepath.Join(root, "sub")); err != nil {
		t.Fatal(err)
	}
	if _, err := serveRaw(fl, loc, "GET", "/sub/f.bin"); err == nil {
		t.Fatal("GET through a symlink leading out of the root was served")
	}
	if resp, err := serveRaw(fl, loc, "HEAD", "/sub/f.bin"); err == nil {
		t.Errorf("HEAD after the GET was refused: %q, want the same refusal", strings.SplitN(resp, "\r\n", 2)[0])
	}
}
