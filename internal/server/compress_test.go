package server_test

import (
	"bufio"
	"bytes"
	stdgzip "compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/zstd"

	"webserv/internal/server"
	"webserv/internal/servertest"
)

// Response compression end to end (SPEC §7, issue 19).

const compressConf = `
server {
    listen 127.0.0.1:$PORT0;
    root www;
    compress zstd br gzip;
    compress_static on;
    gzip_min_length 256;
    location /cgi/ { cgi .sh; }
    location /nt/ { add_header Cache-Control no-transform; }
    location /off/ { compress off; }
    location /gz/ { gzip on; compress gzip; gzip_comp_level 6; }
    location /always/ { alias www/pre/; compress off; gzip_static always; }
    location /gzonly/ { alias www/pre/; compress off; gzip_static on; }
}
`

// textOf returns n bytes of HTML-like text: words repeated in a random
// order, compressible as a page is (a few-fold), not trivially.
func textOf(n int, seed uint64) string {
	words := strings.Fields("<p> </p> <div class=\"item\"> </div> the server sends compressed responses to clients that accept them webserv nginx caddy gzip zstd brotli")
	r := rand.New(rand.NewPCG(seed, 1))
	var b strings.Builder
	for b.Len() < n {
		b.WriteString(words[r.IntN(len(words))])
		b.WriteByte(' ')
	}
	return b.String()[:n]
}

func binaryOf(n int) string {
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(7, 7))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return string(b)
}

var (
	bigPage  = textOf(100<<10, 1) // above the small-file cache and mediumFile
	smallCSS = textOf(10<<10, 2)  // in the small-file cache
	midJS    = textOf(40<<10, 3)  // read with one pread
	appJS    = textOf(30<<10, 4)  // has precompressed copies
)

func encode(t testing.TB, coding string, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	var w io.WriteCloser
	switch coding {
	case "gzip":
		w = stdgzip.NewWriter(&b)
	case "br":
		w = brotli.NewWriterLevel(&b, 5)
	case "zstd":
		e, err := zstd.NewWriter(&b)
		if err != nil {
			t.Fatal(err)
		}
		w = e
	}
	w.Write(data)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// decode decodes body in coding with the reference decoders: Go's gzip,
// klauspost's zstd, andybalholm's brotli.
func decode(t testing.TB, coding string, body []byte) []byte {
	t.Helper()
	var r io.Reader
	switch coding {
	case "gzip":
		zr, err := stdgzip.NewReader(bytes.NewReader(body))
		if err != nil {
			t.Fatalf("gzip: %v", err)
		}
		r = zr
	case "br":
		r = brotli.NewReader(bytes.NewReader(body))
	case "zstd":
		zr, err := zstd.NewReader(bytes.NewReader(body))
		if err != nil {
			t.Fatalf("zstd: %v", err)
		}
		defer zr.Close()
		r = zr
	case "":
		return body
	default:
		t.Fatalf("unexpected coding %q", coding)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("%s: decoding %d bytes: %v", coding, len(body), err)
	}
	return out
}

func sum(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

// startCompressServer serves compressConf with the precompressed copies of
// /pre/app.js (newer than it) and a stale /pre/old.js.gz (older).
func startCompressServer(t *testing.T) *servertest.Server {
	t.Helper()
	s := servertest.Start(t, compressConf, 1, map[string]string{
		"www/page.html":     bigPage,
		"www/style.css":     smallCSS,
		"www/mid.js":        midJS,
		"www/tiny.txt":      "tiny text, under gzip_min_length",
		"www/img.png":       binaryOf(4 << 10),
		"www/nt/page.html":  bigPage,
		"www/off/page.html": bigPage,
		"www/gz/page.html":  bigPage,
		"www/pre/app.js":    appJS,
		"www/pre/old.js":    appJS,
		"www/pre/old.js.gz": string(encode(t, "gzip", []byte("stale"))),
		"www/cgi/ce.sh":     "#!/bin/sh\nprintf 'Content-Type: text/plain\\nContent-Encoding: gzip\\n\\n'\ncat \"$DOCUMENT_ROOT/../ce.gz\"\n",
		"www/cgi/big.sh":    "#!/bin/sh\nprintf 'Content-Type: text/html\\n\\n'\ncat \"$DOCUMENT_ROOT/page.html\"\n",
		"www/cgi/empty.sh":  "#!/bin/sh\nprintf 'Content-Type: text/html\\n\\n'\n",
	}, server.CacheNew)
	for _, c := range []string{"gzip", "br", "zstd"} {
		ext := map[string]string{"gzip": ".gz", "br": ".br", "zstd": ".zst"}[c]
		if err := os.WriteFile(filepath.Join(s.Dir, "www/pre/app.js"+ext), encode(t, c, []byte(appJS)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(s.Dir, "ce.gz"), encode(t, "gzip", []byte(smallCSS)), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"www/cgi/ce.sh", "www/cgi/big.sh", "www/cgi/empty.sh"} {
		os.Chmod(filepath.Join(s.Dir, name), 0o755)
	}
	// app.js is older than its copies; old.js.gz older than old.js.
	past := time.Now().Add(-time.Hour)
	os.Chtimes(filepath.Join(s.Dir, "www/pre/app.js"), past, past)
	os.Chtimes(filepath.Join(s.Dir, "www/pre/old.js.gz"), past, past)
	return s
}

// zfetch sends one request with the extra header lines hdr and returns the
// response.
func zfetch(t *testing.T, s *servertest.Server, method, path, hdr string) *servertest.Response {
	t.Helper()
	c := s.Dial(t, 0)
	defer c.Close()
	c.SetDeadline(time.Now().Add(servertest.IOTimeout))
	if _, err := io.WriteString(c, method+" "+path+" HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"+hdr+"\r\n"); err != nil {
		t.Fatal(err)
	}
	return servertest.ReadResponse(t, bufio.NewReader(c), method)
}

// TestCompressCurl: curl --compressed gets byte-identical content in
// every coding, for a file on the fly (three sizes: the small-file cache,
// one pread, sendfile), a precompressed file and CGI output.
func TestCompressCurl(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("no curl")
	}
	s := startCompressServer(t)
	want := map[string]string{
		"/page.html": bigPage, "/style.css": smallCSS, "/mid.js": midJS,
		"/pre/app.js": appJS, "/cgi/big.sh": bigPage,
	}
	for _, coding := range []string{"gzip", "br", "zstd"} {
		for path, body := range want {
			t.Run(coding+path, func(t *testing.T) {
				// Twice: the second time a file's variant comes from the cache.
				for range 2 {
					out, err := exec.Command("curl", "-sS", "--max-time", "10", "--compressed", "-D", "-",
						"-H", "Accept-Encoding: "+coding, s.URL(0, path)).Output()
					if err != nil {
						t.Fatalf("curl: %v", err)
					}
					head, got, _ := bytes.Cut(out, []byte("\r\n\r\n"))
					if !bytes.Contains(bytes.ToLower(head), []byte("\r\ncontent-encoding: "+coding+"\r\n")) {
						t.Fatalf("got head %q, want Content-Encoding: %s", head, coding)
					}
					if sum(got) != sum([]byte(body)) {
						t.Fatalf("got %d bytes (sha256 %s), want %d (%s)", len(got), sum(got), len(body), sum([]byte(body)))
					}
				}
			})
		}
	}
}

// TestCompressNegotiation: the coding chosen for Accept-Encoding, and
// when none is applied.
func TestCompressNegotiation(t *testing.T) {
	s := startCompressServer(t)
	for _, c := range []struct {
		name, path, hdr string
		status          int
		coding          string // Content-Encoding wanted
		vary            bool
		body            string
	}{
		{"none", "/page.html", "", 200, "", true, bigPage},
		{"gzip", "/page.html", "Accept-Encoding: gzip\r\n", 200, "gzip", true, bigPage},
		{"x-gzip", "/page.html", "Accept-Encoding: x-gzip\r\n", 200, "gzip", true, bigPage},
		{"server preference", "/page.html", "Accept-Encoding: gzip, deflate, br, zstd\r\n", 200, "zstd", true, bigPage},
		{"q-values", "/page.html", "Accept-Encoding: zstd;q=0.5, br;q=0.8, gzip;q=0.7\r\n", 200, "br", true, bigPage},
		{"q=0 excludes", "/page.html", "Accept-Encoding: zstd;q=0, br;q=0, gzip\r\n", 200, "gzip", true, bigPage},
		{"star", "/page.html", "Accept-Encoding: *\r\n", 200, "zstd", true, bigPage},
		{"star but zstd", "/page.html", "Accept-Encoding: *, zstd;q=0\r\n", 200, "br", true, bigPage},
		{"two fields", "/page.html", "Accept-Encoding: deflate\r\nAccept-Encoding: gzip;q=0.1\r\n", 200, "gzip", true, bigPage},
		{"unknown only", "/page.html", "Accept-Encoding: deflate, compress\r\n", 200, "", true, bigPage},
		{"empty", "/page.html", "Accept-Encoding: \r\n", 200, "", true, bigPage},
		{"bad q", "/page.html", "Accept-Encoding: gzip;q=2\r\n", 200, "", true, bigPage},
		{"identity;q=0 small", "/tiny.txt", "Accept-Encoding: gzip, identity;q=0\r\n", 200, "gzip", true, "tiny text, under gzip_min_length"},
		{"small", "/tiny.txt", "Accept-Encoding: gzip\r\n", 200, "", true, "tiny text, under gzip_min_length"},
		// compress_static is on: whether or not img.png.gz exists (not
		// looked up for every request), the answer may depend on
		// Accept-Encoding.
		{"image", "/img.png", "Accept-Encoding: gzip\r\n", 200, "", true, binaryOf(4 << 10)},
		{"no-transform", "/nt/page.html", "Accept-Encoding: gzip\r\n", 200, "", true, bigPage},
		{"compress off", "/off/page.html", "Accept-Encoding: gzip, zstd\r\n", 200, "", true, bigPage}, // compress_static still on
		{"gzip only here", "/gz/page.html", "Accept-Encoding: zstd, br, gzip\r\n", 200, "gzip", true, bigPage},
		{"range", "/page.html", "Accept-Encoding: gzip\r\nRange: bytes=10-99\r\n", 206, "", true, bigPage[10:100]},
		{"cgi coded itself", "/cgi/ce.sh", "Accept-Encoding: gzip\r\n", 200, "gzip", false, smallCSS},
		{"cgi", "/cgi/big.sh", "Accept-Encoding: br\r\n", 200, "br", true, bigPage},
		{"cgi empty", "/cgi/empty.sh", "Accept-Encoding: gzip\r\n", 200, "", true, ""},
		{"404", "/missing.html", "Accept-Encoding: gzip\r\n", 404, "", false, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := zfetch(t, s, "GET", c.path, c.hdr)
			ce := r.Header.Get("Content-Encoding")
			if r.StatusCode != c.status || ce != c.coding {
				t.Fatalf("got %d with Content-Encoding %q, want %d with %q", r.StatusCode, ce, c.status, c.coding)
			}
			if vary := r.Header.Get("Vary") == "Accept-Encoding"; vary != c.vary {
				t.Errorf("got Vary %q, want Accept-Encoding: %v", r.Header.Values("Vary"), c.vary)
			}
			if c.status == 404 {
				return
			}
			if got := decode(t, ce, r.Body); sum(got) != sum([]byte(c.body)) {
				t.Errorf("got %d bytes, want %d", len(got), len(c.body))
			}
			if ce != "" && ce != "gzip" || c.name == "gzip" {
				if r.Header.Get("Accept-Ranges") != "" {
					t.Errorf("got Accept-Ranges %q on a compressed response", r.Header.Get("Accept-Ranges"))
				}
			}
		})
	}
}

// TestCompressHeadAndConditional: HEAD gets the GET's head; the ETag is
// per coding and If-None-Match matches it back, with Vary on the 304.
func TestCompressHeadAndConditional(t *testing.T) {
	s := startCompressServer(t)
	for _, path := range []string{"/page.html", "/style.css", "/mid.js", "/pre/app.js"} {
		for _, coding := range []string{"gzip", "br", "zstd", ""} {
			t.Run(coding+path, func(t *testing.T) {
				ae := ""
				if coding != "" {
					ae = "Accept-Encoding: " + coding + "\r\n"
				}
				get := zfetch(t, s, "GET", path, ae)
				head := zfetch(t, s, "HEAD", path, ae)
				if get.StatusCode != 200 || head.StatusCode != 200 {
					t.Fatalf("got %d and %d", get.StatusCode, head.StatusCode)
				}
				// The GET's length is known only from compressing; a HEAD
				// may leave it out (RFC 9110 §9.3.2).
				for _, h := range []http.Header{get.Header, head.Header} {
					h.Del("Date")
					if coding != "" && path != "/pre/app.js" {
						h.Del("Content-Length")
					}
				}
				if fmt.Sprint(get.Header) != fmt.Sprint(head.Header) {
					t.Errorf("HEAD head differs from GET's:\nGET  %v\nHEAD %v", get.Header, head.Header)
				}
				etag := get.Header.Get("ETag")
				if coding != "" && path != "/pre/app.js" && !strings.HasSuffix(etag, "-"+coding+`"`) {
					t.Errorf("got ETag %s, want the -%s suffix", etag, coding)
				}
				r := zfetch(t, s, "GET", path, ae+"If-None-Match: "+etag+"\r\n")
				if r.StatusCode != 304 || r.Header.Get("ETag") != etag || r.Header.Get("Vary") != "Accept-Encoding" {
					t.Errorf("If-None-Match %s: got %d, ETag %q, Vary %q; want 304 with the same ETag and Vary", etag, r.StatusCode, r.Header.Get("ETag"), r.Header.Get("Vary"))
				}
				if coding != "" {
					// Another coding's (or identity's) tag does not match.
					r = zfetch(t, s, "GET", path, "If-None-Match: "+etag+"\r\n")
					if r.StatusCode != 200 {
						t.Errorf("If-None-Match %s without Accept-Encoding: got %d, want 200", etag, r.StatusCode)
					}
				}
			})
		}
	}
}

// TestCompressPrecompressed: FILE.gz, .br, .zst are sent with FILE's type,
// their own length and validators, and ranges of them; a copy older than
// FILE is not.
func TestCompressPrecompressed(t *testing.T) {
	s := startCompressServer(t)
	for _, coding := range []string{"gzip", "br", "zstd"} {
		ext := map[string]string{"gzip": ".gz", "br": ".br", "zstd": ".zst"}[coding]
		file, err := os.ReadFile(filepath.Join(s.Dir, "www/pre/app.js"+ext))
		if err != nil {
			t.Fatal(err)
		}
		r := zfetch(t, s, "GET", "/pre/app.js", "Accept-Encoding: "+coding+"\r\n")
		if r.Header.Get("Content-Encoding") != coding || !bytes.Equal(r.Body, file) ||
			r.Header.Get("Content-Length") != fmt.Sprint(len(file)) || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/javascript") ||
			r.Header.Get("Accept-Ranges") != "bytes" || r.Header.Get("Vary") != "Accept-Encoding" {
			t.Fatalf("%s: got %d bytes with %v; want the %d bytes of app.js%s", coding, len(r.Body), r.Header, len(file), ext)
		}
		r = zfetch(t, s, "GET", "/pre/app.js", "Accept-Encoding: "+coding+"\r\nRange: bytes=5-104\r\n")
		if r.StatusCode != 206 || !bytes.Equal(r.Body, file[5:105]) || r.Header.Get("Content-Encoding") != coding ||
			r.Header.Get("Content-Range") != fmt.Sprintf("bytes 5-104/%d", len(file)) {
			t.Errorf("%s range: got %d, %v, %d bytes", coding, r.StatusCode, r.Header, len(r.Body))
		}
	}
	// gzip_static: .gz only, without compression on the fly; "always"
	// whatever the request accepts, as nginx.
	gz, _ := os.ReadFile(filepath.Join(s.Dir, "www/pre/app.js.gz"))
	for _, c := range []struct{ path, ae, coding string }{
		{"/gzonly/app.js", "br, zstd, gzip;q=0.5", "gzip"},
		{"/gzonly/app.js", "br", ""},
		{"/always/app.js", "", "gzip"},
	} {
		r := zfetch(t, s, "GET", c.path, "Accept-Encoding: "+c.ae+"\r\n")
		if ce := r.Header.Get("Content-Encoding"); ce != c.coding || ce == "gzip" && !bytes.Equal(r.Body, gz) || ce == "" && string(r.Body) != appJS {
			t.Errorf("%s with %q: got Content-Encoding %q and %d bytes, want %q", c.path, c.ae, ce, len(r.Body), c.coding)
		}
	}
	r := zfetch(t, s, "GET", "/pre/old.js", "Accept-Encoding: gzip\r\n")
	if got := decode(t, r.Header.Get("Content-Encoding"), r.Body); string(got) != appJS {
		t.Errorf("old.js with an older old.js.gz: got %q..., want old.js", got[:min(len(got), 20)])
	}
}

// TestCompressCGIStreams: compressed CGI output that pauses reaches the
// client before the program goes on: each part is flushed through the
// encoder.
func TestCompressCGIStreams(t *testing.T) {
	s := startCompressServer(t)
	fifo := filepath.Join(s.Dir, "go")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("no fifo:", err)
	}
	script := filepath.Join(s.Dir, "www/cgi/pause.sh")
	body := "#!/bin/sh\nprintf 'Content-Type: text/plain\\n\\n'\nprintf 'first part\\n'\nread x < " + fifo + "\nprintf 'second part\\n'\n"
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, coding := range []string{"gzip", "br", "zstd"} {
		t.Run(coding, func(t *testing.T) {
			c := s.Dial(t, 0)
			defer c.Close()
			c.SetDeadline(time.Now().Add(servertest.IOTimeout))
			io.WriteString(c, "GET /cgi/pause.sh HTTP/1.1\r\nHost: localhost\r\nAccept-Encoding: "+coding+"\r\nConnection: close\r\n\r\n")
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				t.Fatal(err)
			}
			if resp.Header.Get("Content-Encoding") != coding {
				t.Fatalf("got Content-Encoding %q", resp.Header.Get("Content-Encoding"))
			}
			var dec io.Reader
			switch coding {
			case "gzip":
				dec, err = stdgzip.NewReader(resp.Body)
			case "br":
				dec = brotli.NewReader(resp.Body)
			case "zstd":
				var zr *zstd.Decoder
				zr, err = zstd.NewReader(resp.Body)
				if zr != nil {
					defer zr.Close()
				}
				dec = zr
			}
			if err != nil {
				t.Fatal(err)
			}
			first := make([]byte, len("first part\n"))
			// The program waits on the fifo: this read returns only if
			// the first part was flushed through the encoder.
			if _, err := io.ReadFull(dec, first); err != nil || string(first) != "first part\n" {
				t.Fatalf("first part: got %q, %v", first, err)
			}
			f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			f.WriteString("go\n")
			f.Close()
			rest, err := io.ReadAll(dec)
			if err != nil || string(rest) != "second part\n" {
				t.Fatalf("rest: got %q, %v", rest, err)
			}
		})
	}
}

// TestCompressVariantAllocs: a file's compressed variant from the variant
// cache costs no allocation per keep-alive request (issue 19's target),
// for the small-file cache's sizes, one pread's and sendfile's.
func TestCompressVariantAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under -race")
	}
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" && runtime.GOARCH != "arm64" {
		t.Skip("the small-file cache's stat allocates on this platform")
	}
	s := startCompressServer(t)
	s.Level.Set(slog.LevelInfo)
	for _, c := range []struct{ path, coding, body string }{
		{"/page.html", "gzip", bigPage},
		{"/page.html", "zstd", bigPage},
		{"/page.html", "br", bigPage},
		{"/style.css", "gzip", smallCSS},
		{"/mid.js", "zstd", midJS},
		{"/gz/page.html", "gzip", bigPage},
	} {
		k := newKeepAliveClientReq(t, s, c.path, "Accept-Encoding: "+c.coding+"\r\n", 200, "")
		if got := decode(t, c.coding, k.body); string(got) != c.body {
			t.Fatalf("%s %s: first response decodes to %d bytes, want %d", c.path, c.coding, len(got), len(c.body))
		}
		for range 10 {
			k.do(t)
		}
		if allocs := testing.AllocsPerRun(200, func() { k.do(t) }); allocs != 0 {
			t.Errorf("%s %s: got %v allocations per keep-alive request, want 0", c.path, c.coding, allocs)
		}
	}
}

// TestCompressVariantFresh: a file rewritten in place, even at its own
// size within the same second, is compressed afresh: the variant cache
// keys on the file's identity (ctime, inode, ...), not on its ETag.
func TestCompressVariantFresh(t *testing.T) {
	s := startCompressServer(t)
	path := filepath.Join(s.Dir, "www/page.html")
	for i := range 3 {
		body := textOf(len(bigPage), uint64(100+i))
		if i > 0 {
			if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
			// The same modification time (seconds) as before: the ETag
			// does not change, the identity does.
			past := time.Now().Add(-time.Hour).Truncate(time.Second)
			os.Chtimes(path, past, past)
		} else {
			body = bigPage
		}
		for range 2 { // a miss, then what the cache holds
			r := zfetch(t, s, "GET", "/page.html", "Accept-Encoding: gzip\r\n")
			if got := decode(t, "gzip", r.Body); sum(got) != sum([]byte(body)) {
				t.Fatalf("version %d: got %d bytes of another version", i, len(got))
			}
		}
	}
}

// TestCompressIfRangeCodedETag: an If-Range carrying the coded ETag (the
// one a compressed 200 had) does not match the identity representation a
// 206 is a part of: the whole file is sent, not a range of the identity
// bytes (RFC 9110 §13.1.5). The identity ETag still gets the range.
func TestCompressIfRangeCodedETag(t *testing.T) {
	t.Parallel()
	s := startCompressServer(t)
	r := zfetch(t, s, "GET", "/page.html", "Accept-Encoding: gzip\r\n")
	coded := r.Header.Get("ETag")
	if r.Header.Get("Content-Encoding") != "gzip" || !strings.HasSuffix(coded, `-gzip"`) {
		t.Fatalf("setup: got %v", r.Header)
	}
	identity := zfetch(t, s, "HEAD", "/page.html", "").Header.Get("ETag")
	for _, c := range []struct {
		etag   string
		status int
	}{{coded, 200}, {identity, 206}} {
		r = zfetch(t, s, "GET", "/page.html", "Accept-Encoding: gzip\r\nRange: bytes=0-99\r\nIf-Range: "+c.etag+"\r\n")
		if r.StatusCode != c.status {
			t.Errorf("If-Range %s: got %d (Content-Encoding %q, ETag %s), want %d",
				c.etag, r.StatusCode, r.Header.Get("Content-Encoding"), r.Header.Get("ETag"), c.status)
		}
	}
}

// TestCompressPrecompressedVary: the answer of a location that serves
// precompressed copies depends on Accept-Encoding even when it is the
// identity one — without compression on the fly (`compress off;
// gzip_static on`) and for a type not compressed on the fly (data.bin
// beside data.bin.gz) — so it carries Vary too, as the copy does.
func TestCompressPrecompressedVary(t *testing.T) {
	t.Parallel()
	s := startCompressServer(t)
	// In this order: a copy older than its file is not served, and a map
	// would write them in any order (the two writes can fall in two
	// ticks of the file system's clock).
	for _, f := range []struct {
		name string
		body []byte
	}{
		{"www/pre/data.bin", []byte(bigPage)},
		{"www/pre/data.bin.gz", encode(t, "gzip", []byte(bigPage))},
	} {
		if err := os.WriteFile(filepath.Join(s.Dir, f.name), f.body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, path := range []string{"/gzonly/app.js", "/gzonly/data.bin", "/pre/data.bin"} {
		gz := zfetch(t, s, "GET", path, "Accept-Encoding: gzip\r\n")
		if gz.Header.Get("Content-Encoding") != "gzip" || gz.Header.Get("Vary") != "Accept-Encoding" {
			t.Fatalf("%s setup: got %v", path, gz.Header)
		}
		for _, ae := range []string{"", "Accept-Encoding: br\r\n"} {
			r := zfetch(t, s, "GET", path, ae)
			if r.StatusCode != 200 || r.Header.Get("Content-Encoding") != "" || r.Header.Get("Vary") != "Accept-Encoding" {
				t.Errorf("%s with %q: got %d with Content-Encoding %q, Vary %q; want the identity answer with Vary: Accept-Encoding",
					path, ae, r.StatusCode, r.Header.Get("Content-Encoding"), r.Header.Values("Vary"))
			}
		}
	}
}

// scriptCopyConf has a script x.sh with a precompressed copy x.sh.gz
// beside it, reached in every way a file is sent.
const scriptCopyConf = `
server {
    listen 127.0.0.1:$PORT0;
    root www;
    compress zstd br gzip;
    compress_static on;
    location /cgi/ { cgi .sh; }
    location /src/ { alias www/cgi/; }
    location /tf/ { try_files /cgi/x.sh.gz =404; }
    location /ep/ { error_page 404 /cgi/x.sh.gz; }
}
`

// TestCompressScriptCopy: a script's precompressed copy (x.sh.gz, .br,
// .zst, any case) is its source: never sent, by its own name, through an
// alias of the directory, try_files or error_page (SPEC §5); asked for by
// the script's name, the script runs.
func TestCompressScriptCopy(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, scriptCopyConf, 1, map[string]string{
		"www/cgi/x.sh": "#!/bin/sh\nprintf 'Content-Type: text/plain\\n\\nran'\n",
	}, server.CacheNew)
	os.Chmod(filepath.Join(s.Dir, "www/cgi/x.sh"), 0o755)
	for _, name := range []string{"x.sh.gz", "x.sh.br", "x.sh.zst", "x.sh.GZ"} {
		if err := os.WriteFile(filepath.Join(s.Dir, "www/cgi", name), []byte("SCRIPT SOURCE"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		path, ae string
		status   int
	}{
		{"/cgi/x.sh.gz", "", 403},
		{"/cgi/x.sh.br", "", 403},
		{"/cgi/x.sh.zst", "", 403},
		{"/cgi/x.sh.GZ", "", 403},
		{"/src/x.sh.gz", "", 403},
		{"/src/x.sh.gz", "Accept-Encoding: gzip\r\n", 403},
		{"/src/x.sh", "Accept-Encoding: gzip\r\n", 403},
		{"/tf/a", "", 403},
		{"/ep/missing", "", 404},
		{"/cgi/x.sh", "Accept-Encoding: gzip\r\n", 200},
	} {
		r := zfetch(t, s, "GET", c.path, c.ae)
		if r.StatusCode != c.status || bytes.Contains(r.Body, []byte("SCRIPT SOURCE")) {
			t.Errorf("%s %q: got %d %q, want %d without the script's source", c.path, c.ae, r.StatusCode, r.Body, c.status)
		}
	}
}

// TestCompressIdentityRefusedTypes: `identity;q=0` does not make the
// server compress a type it does not compress (nginx ignores it): a large
// application/octet-stream file is sent as it is.
func TestCompressIdentityRefusedTypes(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, `
server {
    listen 127.0.0.1:$PORT0;
    root www;
    compress zstd br gzip;
}
`, 1, map[string]string{"www/video.bin": binaryOf(1 << 20)}, server.CacheNew)
	for _, ae := range []string{"gzip, identity;q=0", "br, identity;q=0", "*;q=0, zstd"} {
		r := zfetch(t, s, "GET", "/video.bin", "Accept-Encoding: "+ae+"\r\n")
		if r.StatusCode != 200 || r.Header.Get("Content-Encoding") != "" || len(r.Body) != 1<<20 {
			t.Errorf("%q: got %d, Content-Encoding %q, %d bytes; want the file as it is", ae, r.StatusCode, r.Header.Get("Content-Encoding"), len(r.Body))
		}
	}
}
