package upload

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"webserv/internal/config"
	"webserv/internal/http1"
)

// newLoc returns a location "/uploads/" whose upload_store is a fresh
// directory.
func newLoc(t *testing.T) *config.Location {
	t.Helper()
	return &config.Location{Path: "/uploads/", UploadStore: t.TempDir(), Root: t.TempDir()}
}

func newReq(method string, fields ...string) *http1.Request {
	req := &http1.Request{Method: []byte(method), ContentLength: -1, Minor: 1}
	for i := 0; i+1 < len(fields); i += 2 {
		req.Fields = append(req.Fields, http1.Field{Name: []byte(fields[i]), Value: []byte(fields[i+1])})
	}
	return req
}

// serve runs fn against a ResponseWriter writing into a buffer. When fn
// returns an error, it asserts nothing was written and returns the error;
// otherwise it parses and returns the response.
func serve(t *testing.T, req *http1.Request, fn func(w *http1.ResponseWriter) error) (*http.Response, []byte, error) {
	t.Helper()
	var buf bytes.Buffer
	var w http1.ResponseWriter
	w.Reset(&buf, 1, false, true)
	if err := fn(&w); err != nil {
		if w.Written() || buf.Len() > 0 || w.Header().Len() > 0 {
			t.Fatalf("error %v returned after writing to the response", err)
		}
		return nil, nil, err
	}
	if err := w.Finish(); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(&buf), &http.Request{Method: string(req.Method)})
	if err != nil {
		t.Fatalf("parse response: %v", err)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body, nil
}

// status returns the status an error carries, 500 for others, 0 for nil.
func status(err error) int {
	var se *http1.StatusError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &se):
		return se.Status
	}
	return 500
}

// dirNames lists every entry of dir, hidden ones included.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

type part struct{ field, filename, content string }

// multipartBody encodes parts and returns the body and its Content-Type.
func multipartBody(t *testing.T, parts ...part) ([]byte, string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for _, p := range parts {
		var w io.Writer
		var err error
		if p.filename != "" {
			w, err = mw.CreateFormFile(p.field, p.filename)
		} else {
			w, err = mw.CreateFormField(p.field)
		}
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, p.content)
	}
	mw.Close()
	return b.Bytes(), mw.FormDataContentType()
}

type summary struct {
	Files []stored `json:"files"`
}

func TestPostMultipart(t *testing.T) {
	loc := newLoc(t)
	bin := string([]byte{0, 1, 2, 0xff, '\r', '\n', '-', '-', 'x'})
	body, ctype := multipartBody(t,
		part{"a", "hello.txt", "hello, world\n"},
		part{"note", "", "a plain field, not stored"},
		part{"b", "../../evil/ré sumé.bin", bin},
	)
	req := newReq("POST", "Content-Type", ctype, "Accept", "application/json")
	resp, rb, err := serve(t, req, func(w *http1.ResponseWriter) error {
		return Post(w, req, bytes.NewReader(body), loc, "/uploads/", nil)
	})
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 201 {
		t.Fatalf("status %d, want 201", resp.StatusCode)
	}
	if got, want := resp.Header.Get("Location"), "/uploads/hello.txt"; got != want {
		t.Errorf("Location %q, want %q", got, want)
	}
	var s summary
	if err := json.Unmarshal(rb, &s); err != nil {
		t.Fatalf("body %q: %v", rb, err)
	}
	want := []stored{
		{Name: "hello.txt", Size: 13, URL: "/uploads/hello.txt"},
		{Name: "ré sumé.bin", Size: int64(len(bin)), URL: "/uploads/r%C3%A9%20sum%C3%A9.bin"},
	}
	if !slices.Equal(s.Files, want) {
		t.Errorf("files %+v, want %+v", s.Files, want)
	}
	if got := dirNames(t, loc.UploadStore); !slices.Equal(got, []string{"hello.txt", "ré sumé.bin"}) {
		t.Errorf("store holds %q", got)
	}
	if got := readFile(t, filepath.Join(loc.UploadStore, "hello.txt")); got != "hello, world\n" {
		t.Errorf("hello.txt = %q", got)
	}
	if got := readFile(t, filepath.Join(loc.UploadStore, "ré sumé.bin")); got != bin {
		t.Errorf("binary file = %q, want %q", got, bin)
	}
	fi, err := os.Stat(filepath.Join(loc.UploadStore, "hello.txt"))
	if err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, %v; want 0644", fi.Mode(), err)
	}
}

func TestPostRaw(t *testing.T) {
	tests := []struct {
		name, path, ctype string
		exact             bool
		wantName          string // exact name, or a prefix for generated names
		wantExt           string
	}{
		{"named", "/uploads/data.csv", "text/csv", false, "data.csv", ""},
		{"named in subpath", "/uploads/x/y/z.txt", "", false, "z.txt", ""},
		{"named escaped", "/uploads/a b#c.txt", "", false, "a b#c.txt", ""},
		{"hidden name sanitised", "/uploads/.env", "", false, "env", ""},
		{"unnamed text", "/uploads/", "text/plain; charset=utf-8", false, "upload-", ".txt"},
		{"unnamed json", "/uploads", "application/json", false, "upload-", ".json"},
		{"unnamed octet", "/uploads/", "application/octet-stream", false, "upload-", ""},
		{"unnamed no type", "/uploads/dir/", "", false, "upload-", ""},
		{"exact location", "/uploads", "image/png", true, "upload-", ".png"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loc := newLoc(t)
			if tt.exact {
				loc.Path, loc.Exact = "/uploads", true
			}
			req := newReq("POST", "Content-Type", tt.ctype)
			resp, body, err := serve(t, req, func(w *http1.ResponseWriter) error {
				return Post(w, req, strings.NewReader("payload"), loc, tt.path, nil)
			})
			if err != nil {
				t.Fatal(err)
			}
			names := dirNames(t, loc.UploadStore)
			if len(names) != 1 {
				t.Fatalf("store holds %q, want one file", names)
			}
			got := names[0]
			if tt.wantName == "upload-" {
				if !strings.HasPrefix(got, "upload-") || filepath.Ext(got) != tt.wantExt {
					t.Errorf("generated name %q, want upload-*%s", got, tt.wantExt)
				}
			} else if got != tt.wantName {
				t.Errorf("name %q, want %q", got, tt.wantName)
			}
			if c := readFile(t, filepath.Join(loc.UploadStore, got)); c != "payload" {
				t.Errorf("content %q", c)
			}
			if resp.StatusCode != 201 || resp.Header.Get("Location") == "" {
				t.Errorf("status %d Location %q", resp.StatusCode, resp.Header.Get("Location"))
			}
			if ct := resp.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
				t.Errorf("Content-Type %q", ct)
			}
			if resp.ContentLength != int64(len(body)) {
				t.Errorf("Content-Length %d, body %d bytes", resp.ContentLength, len(body))
			}
		})
	}
}

func TestPostLocationEscaping(t *testing.T) {
	loc := newLoc(t)
	req := newReq("POST")
	resp, body, err := serve(t, req, func(w *http1.ResponseWriter) error {
		return Post(w, req, strings.NewReader("x"), loc, "/uploads/<b>&\"a b?.txt", nil)
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := resp.Header.Get("Location"), "/uploads/%3Cb%3E&%22a%20b%3F.txt"; got != want {
		t.Errorf("Location %q, want %q", got, want)
	}
	if !strings.Contains(string(body), "&lt;b&gt;&amp;&#34;a b?.txt</a>") || strings.Contains(string(body), "<b>") {
		t.Errorf("name not escaped in HTML body:\n%s", body)
	}
}

func TestPostCollision(t *testing.T) {
	loc := newLoc(t)
	post := func(name, content string) string {
		req := newReq("POST")
		resp, _, err := serve(t, req, func(w *http1.ResponseWriter) error {
			return Post(w, req, strings.NewReader(content), loc, "/uploads/"+name, nil)
		})
		if err != nil {
			t.Fatal(err)
		}
		return resp.Header.Get("Location")
	}
	for i, want := range []string{"/uploads/a.txt", "/uploads/a-1.txt", "/uploads/a-2.txt"} {
		if got := post("a.txt", fmt.Sprint(i)); got != want {
			t.Errorf("upload %d: Location %q, want %q", i, got, want)
		}
	}
	if got := post("x.tar.gz", ""); got != "/uploads/x.tar.gz" {
		t.Errorf("Location %q", got)
	}
	if got := post("x.tar.gz", ""); got != "/uploads/x-1.tar.gz" {
		t.Errorf("Location %q, want .tar.gz kept whole", got)
	}
	if got := readFile(t, filepath.Join(loc.UploadStore, "a.txt")); got != "0" {
		t.Errorf("a.txt overwritten: %q", got)
	}
	long := strings.Repeat("é", 125) + ".pdf"
	post(long, "")
	if got := post(long, ""); len(got) == 0 {
		t.Fatal("no Location")
	}
	for _, n := range dirNames(t, loc.UploadStore) {
		if len(n) > maxName {
			t.Errorf("name of %d bytes", len(n))
		}
	}
}

func TestPostConcurrentSameName(t *testing.T) {
	loc := newLoc(t)
	const n = 16
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var w http1.ResponseWriter
			w.Reset(io.Discard, 1, false, true)
			req := newReq("POST")
			errs <- Post(&w, req, strings.NewReader(strings.Repeat(fmt.Sprint(i%10), 100000+i)), loc, "/uploads/same.txt", nil)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	names := dirNames(t, loc.UploadStore)
	if len(names) != n {
		t.Fatalf("%d files for %d uploads: %q", len(names), n, names)
	}
	sizes := map[int]bool{}
	for _, name := range names {
		sizes[len(readFile(t, filepath.Join(loc.UploadStore, name)))] = true
	}
	if len(sizes) != n {
		t.Errorf("contents mixed: %d distinct sizes for %d files", len(sizes), n)
	}
}

// failReader yields data, then err.
type failReader struct {
	data io.Reader
	err  error
}

func (r *failReader) Read(p []byte) (int, error) {
	n, err := r.data.Read(p)
	if err == io.EOF {
		return n, r.err
	}
	return n, err
}

func TestPostBodyError(t *testing.T) {
	tooLarge := &http1.StatusError{Status: 413, Msg: "request body too large"}
	full, ctype := multipartBody(t,
		part{"a", "first.txt", strings.Repeat("1", 100000)},
		part{"b", "second.txt", strings.Repeat("2", 100000)},
	)
	cut := full[:len(full)-1000] // inside the second file
	tests := []struct {
		name       string
		ctype      string
		body       io.Reader
		wantErr    error // returned unchanged; nil: check wantStatus
		wantStatus int
	}{
		{"raw client gone", "", &failReader{strings.NewReader(strings.Repeat("x", 100000)), io.ErrUnexpectedEOF}, io.ErrUnexpectedEOF, 0},
		{"raw too large", "", &failReader{strings.NewReader(strings.Repeat("x", 100000)), tooLarge}, tooLarge, 0},
		{"multipart client gone", ctype, &failReader{bytes.NewReader(cut), io.ErrUnexpectedEOF}, io.ErrUnexpectedEOF, 0},
		{"multipart too large", ctype, &failReader{bytes.NewReader(cut), tooLarge}, tooLarge, 0},
		{"multipart truncated", ctype, bytes.NewReader(cut), nil, 400},
		{"multipart garbage", ctype, strings.NewReader("not multipart at all"), nil, 400},
		{"multipart fields only", "multipart/form-data; boundary=XYZ",
			strings.NewReader("--XYZ\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\nv\r\n--XYZ--\r\n"), nil, 400},
		{"multipart empty filename", "multipart/form-data; boundary=XYZ",
			strings.NewReader("--XYZ\r\nContent-Disposition: form-data; name=\"f\"; filename=\"\"\r\n\r\n\r\n--XYZ--\r\n"), nil, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loc := newLoc(t)
			req := newReq("POST", "Content-Type", tt.ctype)
			_, _, err := serve(t, req, func(w *http1.ResponseWriter) error {
				return Post(w, req, tt.body, loc, "/uploads/f.bin", nil)
			})
			if tt.wantErr != nil && err != tt.wantErr {
				t.Errorf("error %v, want %v unchanged", err, tt.wantErr)
			}
			if tt.wantErr == nil && status(err) != tt.wantStatus {
				t.Errorf("error %v (status %d), want %d", err, status(err), tt.wantStatus)
			}
			if names := dirNames(t, loc.UploadStore); len(names) != 0 {
				t.Errorf("store holds %q after a failed upload", names)
			}
		})
	}
}

// mustNotRead fails the test when read: a refusal must come before the
// first Read, which would send 100 Continue.
type mustNotRead struct{ t *testing.T }

func (r mustNotRead) Read([]byte) (int, error) {
	r.t.Error("body read before the request was refused")
	return 0, io.ErrUnexpectedEOF
}

func TestPostRefusedBeforeBody(t *testing.T) {
	loc := newLoc(t)
	req := newReq("POST", "Content-Type", "multipart/form-data")
	_, _, err := serve(t, req, func(w *http1.ResponseWriter) error {
		return Post(w, req, mustNotRead{t}, loc, "/uploads/", nil)
	})
	if status(err) != 400 {
		t.Errorf("missing boundary: %v, want 400", err)
	}
	loc.UploadStore = filepath.Join(loc.UploadStore, "missing")
	req = newReq("POST")
	_, _, err = serve(t, req, func(w *http1.ResponseWriter) error {
		return Post(w, req, mustNotRead{t}, loc, "/uploads/", nil)
	})
	if err == nil {
		t.Errorf("missing store: no error")
	}
}

// letters generates n bytes of 'a'..'z' without holding them.
type letters struct{ n, i int }

func (r *letters) Read(p []byte) (int, error) {
	if r.i >= r.n {
		return 0, io.EOF
	}
	p = p[:min(len(p), r.n-r.i)]
	for k := range p {
		p[k] = byte('a' + (r.i+k)%26)
	}
	r.i += len(p)
	return len(p), nil
}

func TestPostStreamsLargeBody(t *testing.T) {
	const size = 10 << 20
	loc := newLoc(t)
	const boundary = "b0undary-for-large-test"
	head := "--" + boundary + "\r\nContent-Disposition: form-data; name=\"f\"; filename=\"big.bin\"\r\n" +
		"Content-Type: application/octet-stream\r\n\r\n"
	tail := "\r\n--" + boundary + "--\r\n"
	body := io.MultiReader(strings.NewReader(head), &letters{n: size}, strings.NewReader(tail))
	req := newReq("POST", "Content-Type", "multipart/form-data; boundary="+boundary)

	var w http1.ResponseWriter
	w.Reset(io.Discard, 1, false, true)
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	err := Post(&w, req, body, loc, "/uploads/", nil)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	// TotalAlloc counts every byte allocated during the upload, freed or
	// not: far below the body size means no body-sized buffer existed.
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("allocated %d bytes for a %d-byte body", alloc, size)
	if alloc > 2<<20 {
		t.Errorf("allocated %d bytes for a %d-byte body", alloc, size)
	}
	f, err := os.Open(filepath.Join(loc.UploadStore, "big.bin"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := &letters{n: size}
	a, b := make([]byte, 64<<10), make([]byte, 64<<10)
	total := 0
	for {
		n, err := io.ReadFull(f, a)
		total += n
		if _, werr := io.ReadFull(want, b[:n]); werr != nil || !bytes.Equal(a[:n], b[:n]) {
			t.Fatalf("content differs near byte %d", total)
		}
		if err != nil {
			break
		}
	}
	if total != size {
		t.Errorf("stored %d bytes, want %d", total, size)
	}
}

func TestPostAccept(t *testing.T) {
	tests := []struct {
		accept   string
		wantJSON bool
	}{
		{"", false},
		{"*/*", false},
		{"text/html", false},
		{"application/json", true},
		{"APPLICATION/JSON", true},
		{"text/html, application/json", false},
		{"text/html;q=0.9, application/json", true},
		{"application/json;q=0.5, */*;q=0.1", true},
		{"application/json;q=0.5, text/*", false},
		{"application/*", true},
		{"application/json;q=0, */*", false},
		{"application/json; q=bad, text/html;q=0.2", true},
		{"text/html;q=0.8, application/json;q=0.8", false},
	}
	for _, tt := range tests {
		t.Run(tt.accept, func(t *testing.T) {
			if got := prefersJSON(tt.accept); got != tt.wantJSON {
				t.Errorf("prefersJSON(%q) = %v, want %v", tt.accept, got, tt.wantJSON)
			}
			loc := newLoc(t)
			req := newReq("POST", "Accept", tt.accept)
			resp, body, err := serve(t, req, func(w *http1.ResponseWriter) error {
				return Post(w, req, strings.NewReader("x"), loc, "/uploads/a.txt", nil)
			})
			if err != nil {
				t.Fatal(err)
			}
			ct := resp.Header.Get("Content-Type")
			if tt.wantJSON {
				var s summary
				if ct != "application/json" || json.Unmarshal(body, &s) != nil || len(s.Files) != 1 || s.Files[0].URL != "/uploads/a.txt" {
					t.Errorf("want JSON, got %q: %s", ct, body)
				}
			} else if ct != "text/html; charset=utf-8" || !strings.Contains(string(body), `<a href="/uploads/a.txt">a.txt</a>`) {
				t.Errorf("want HTML, got %q: %s", ct, body)
			}
		})
	}
}

func TestPut(t *testing.T) {
	type setup func(t *testing.T, store string)
	mkdir := func(name string) setup {
		return func(t *testing.T, store string) { os.MkdirAll(filepath.Join(store, name), 0o755) }
	}
	file := func(name, content string) setup {
		return func(t *testing.T, store string) {
			os.WriteFile(filepath.Join(store, name), []byte(content), 0o644)
		}
	}
	tests := []struct {
		name       string
		setup      []setup
		path       string
		exact      bool
		body       io.Reader // nil: "new content"
		wantStatus int       // response or error status
		wantFile   string    // relative to the store; checked to hold wantBody
		wantBody   string
		wantLoc    string
	}{
		{name: "create", path: "/uploads/new.txt", wantStatus: 201, wantFile: "new.txt", wantBody: "new content", wantLoc: "/uploads/new.txt"},
		{name: "create escaped", path: "/uploads/a b.txt", wantStatus: 201, wantFile: "a b.txt", wantBody: "new content", wantLoc: "/uploads/a%20b.txt"},
		{name: "create in subdir", setup: []setup{mkdir("sub")}, path: "/uploads/sub/n.txt", wantStatus: 201, wantFile: "sub/n.txt", wantBody: "new content", wantLoc: "/uploads/sub/n.txt"},
		{name: "replace", setup: []setup{file("old.txt", "old content")}, path: "/uploads/old.txt", wantStatus: 204, wantFile: "old.txt", wantBody: "new content"},
		{name: "missing parent", path: "/uploads/nodir/x.txt", body: mustNotRead{t}, wantStatus: 409},
		{name: "parent is a file", setup: []setup{file("f", "")}, path: "/uploads/f/x.txt", body: mustNotRead{t}, wantStatus: 409},
		{name: "target is a directory", setup: []setup{mkdir("d")}, path: "/uploads/d", body: mustNotRead{t}, wantStatus: 409},
		{name: "trailing slash", path: "/uploads/x/", body: mustNotRead{t}, wantStatus: 400},
		{name: "prefix only", path: "/uploads/", body: mustNotRead{t}, wantStatus: 400},
		{name: "exact location", path: "/uploads", exact: true, body: mustNotRead{t}, wantStatus: 400},
		{name: "hidden name", path: "/uploads/.htaccess", body: mustNotRead{t}, wantStatus: 400},
		{name: "backslash name", path: `/uploads/a\b`, body: mustNotRead{t}, wantStatus: 400},
		{name: "body fails, create", path: "/uploads/n.txt",
			body: &failReader{strings.NewReader("partial"), io.ErrUnexpectedEOF}, wantStatus: 500},
		{name: "body fails, replace keeps old", setup: []setup{file("old.txt", "old content")}, path: "/uploads/old.txt",
			body: &failReader{strings.NewReader("partial"), io.ErrUnexpectedEOF}, wantStatus: 500, wantFile: "old.txt", wantBody: "old content"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loc := newLoc(t)
			if tt.exact {
				loc.Path, loc.Exact = "/uploads", true
			}
			for _, s := range tt.setup {
				s(t, loc.UploadStore)
			}
			before := dirNames(t, loc.UploadStore)
			body := tt.body
			if body == nil {
				body = strings.NewReader("new content")
			}
			req := newReq("PUT")
			resp, _, err := serve(t, req, func(w *http1.ResponseWriter) error {
				return Put(w, req, body, loc, tt.path, nil)
			})
			got := status(err)
			if err == nil {
				got = resp.StatusCode
			}
			if got != tt.wantStatus {
				t.Fatalf("status %d (%v), want %d", got, err, tt.wantStatus)
			}
			if fr, ok := tt.body.(*failReader); ok && err != fr.err {
				t.Errorf("error %v, want the body's %v unchanged", err, fr.err)
			}
			if tt.wantFile != "" {
				if c := readFile(t, filepath.Join(loc.UploadStore, tt.wantFile)); c != tt.wantBody {
					t.Errorf("%s = %q, want %q", tt.wantFile, c, tt.wantBody)
				}
			}
			if err == nil && resp.Header.Get("Location") != tt.wantLoc {
				t.Errorf("Location %q, want %q", resp.Header.Get("Location"), tt.wantLoc)
			}
			if err != nil && !slices.Equal(dirNames(t, loc.UploadStore), before) {
				t.Errorf("store changed by a failed PUT: %q -> %q", before, dirNames(t, loc.UploadStore))
			}
		})
	}
}

func TestPutSymlinkParentOutside(t *testing.T) {
	loc := newLoc(t)
	outsideDir := t.TempDir()
	if err := os.Symlink(outsideDir, filepath.Join(loc.UploadStore, "out")); err != nil {
		t.Skip(err)
	}
	req := newReq("PUT")
	_, _, err := serve(t, req, func(w *http1.ResponseWriter) error {
		return Put(w, req, mustNotRead{t}, loc, "/uploads/out/x.txt", nil)
	})
	if status(err) != 409 {
		t.Errorf("error %v, want 409", err)
	}
	if names := dirNames(t, outsideDir); len(names) != 0 {
		t.Errorf("wrote outside the store: %q", names)
	}
}

func TestDelete(t *testing.T) {
	tests := []struct {
		name       string
		path       string
		noStore    bool // serve from Root (location "/uploads/" under it)
		alias      bool // serve from Alias
		wantStatus int
		gone       string // must not exist afterwards (relative to the base)
		kept       string // must still exist (relative to the base)
	}{
		{name: "file", path: "/uploads/f.txt", wantStatus: 204, gone: "f.txt"},
		{name: "file in subdir", path: "/uploads/d/g.txt", wantStatus: 204, gone: "d/g.txt", kept: "d"},
		{name: "missing", path: "/uploads/nope", wantStatus: 404},
		{name: "missing parent", path: "/uploads/nodir/x", wantStatus: 404},
		{name: "under a file", path: "/uploads/f.txt/x", wantStatus: 404, kept: "f.txt"},
		{name: "file with slash", path: "/uploads/f.txt/", wantStatus: 404, kept: "f.txt"},
		{name: "directory", path: "/uploads/d", wantStatus: 409, kept: "d/g.txt"},
		{name: "directory slash", path: "/uploads/d/", wantStatus: 409, kept: "d"},
		{name: "empty directory", path: "/uploads/empty", wantStatus: 409, kept: "empty"},
		{name: "store itself", path: "/uploads/", wantStatus: 409},
		{name: "store itself no slash", path: "/uploads", wantStatus: 409},
		{name: "symlinked parent outside", path: "/uploads/out/secret", wantStatus: 404},
		{name: "symlink to outside file", path: "/uploads/link", wantStatus: 204, gone: "link"},
		{name: "root file", path: "/uploads/f.txt", noStore: true, wantStatus: 204, gone: "uploads/f.txt"},
		{name: "root dir", path: "/uploads/", noStore: true, wantStatus: 409, kept: "uploads"},
		{name: "root itself", path: "/", noStore: true, wantStatus: 409},
		{name: "root symlinked parent outside", path: "/uploads/out/secret", noStore: true, wantStatus: 404},
		{name: "alias file", path: "/uploads/f.txt", alias: true, wantStatus: 204, gone: "f.txt"},
		{name: "alias itself", path: "/uploads/", alias: true, wantStatus: 409},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loc := newLoc(t)
			base := loc.UploadStore
			switch {
			case tt.noStore:
				base, loc.UploadStore = filepath.Join(loc.Root, "uploads"), ""
			case tt.alias:
				loc.Alias, loc.UploadStore = base, ""
			}
			outsideDir := t.TempDir()
			os.WriteFile(filepath.Join(outsideDir, "secret"), []byte("s"), 0o644)
			for _, d := range []string{"d", "empty"} {
				os.MkdirAll(filepath.Join(base, d), 0o755)
			}
			os.WriteFile(filepath.Join(base, "f.txt"), []byte("f"), 0o644)
			os.WriteFile(filepath.Join(base, "d", "g.txt"), []byte("g"), 0o644)
			if os.Symlink(outsideDir, filepath.Join(base, "out")) != nil ||
				os.Symlink(filepath.Join(outsideDir, "secret"), filepath.Join(base, "link")) != nil {
				t.Skip("no symlinks")
			}
			top := base
			if tt.noStore {
				top = loc.Root
			}

			req := newReq("DELETE")
			resp, _, err := serve(t, req, func(w *http1.ResponseWriter) error {
				return Delete(w, req, loc, tt.path)
			})
			got := status(err)
			if err == nil {
				got = resp.StatusCode
			}
			if got != tt.wantStatus {
				t.Fatalf("status %d (%v), want %d", got, err, tt.wantStatus)
			}
			if tt.gone != "" {
				if _, err := os.Lstat(filepath.Join(top, tt.gone)); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("%s still there: %v", tt.gone, err)
				}
			}
			if tt.kept != "" {
				if _, err := os.Lstat(filepath.Join(top, tt.kept)); err != nil {
					t.Errorf("%s removed: %v", tt.kept, err)
				}
			}
			if _, err := os.Stat(filepath.Join(outsideDir, "secret")); err != nil {
				t.Errorf("file outside the base removed: %v", err)
			}
			if _, err := os.Stat(top); err != nil {
				t.Errorf("base removed: %v", err)
			}
		})
	}
}
