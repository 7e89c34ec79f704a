package server_test

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"webserv/internal/servertest"
)

// Static-file semantics over loopback: validators, conditional requests
// (RFC 9110 §13), ranges (§14), content types, OPTIONS, empty files.

const staticConf = `
server {
    listen 127.0.0.1:$PORT0;
    root www;
    location /files/ { autoindex on; }
    location /rw/ { methods GET POST DELETE; }
}
`

// bigFile is 1 MiB + 3 bytes of a non-repeating pattern, larger than the
// in-memory threshold so ranges go out with sendfile from an offset.
var bigFile = func() string {
	var b strings.Builder
	for i := 0; b.Len() < 1<<20+3; i++ {
		b.WriteString(strconv.Itoa(i))
		b.WriteByte(' ')
	}
	return b.String()[:1<<20+3]
}()

func startStatic(t *testing.T) *servertest.Server {
	t.Helper()
	return servertest.Start(t, staticConf, 1, map[string]string{
		"www/index.html":       "<h1>home</h1>",
		"www/small.txt":        "0123456789abcdefghij", // 20 bytes
		"www/big.bin":          bigFile,
		"www/empty.txt":        "",
		"www/a.css":            "body{}",
		"www/a.js":             "1",
		"www/a.mjs":            "1",
		"www/a.json":           "{}",
		"www/a.svg":            "<svg/>",
		"www/a.png":            "png",
		"www/a.JPG":            "jpg",
		"www/a.webp":           "w",
		"www/a.avif":           "a",
		"www/a.woff2":          "f",
		"www/a.wasm":           "w",
		"www/a.mp4":            "v",
		"www/a.pdf":            "p",
		"www/a.unknownext":     "?",
		"www/noext":            "?",
		"www/files/plain.txt":  "p",
		"www/files/a b.txt":    "space",
		"www/files/100%.txt":   "pct",
		"www/files/<x>.txt":    "lt",
		"www/files/a&b.txt":    "amp",
		"www/files/\"q'.txt":   "quotes",
		"www/files/café ü.txt": "unicode",
		"www/files/.secret":    "dot",
		"www/files/sub/":       "",
		"www/rw/x.txt":         "x",
	})
}

func do(t *testing.T, method, url string, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	// Go's client would add Accept-Encoding and transparently decode;
	// asking for identity keeps the bytes as sent.
	req.Header.Set("Accept-Encoding", "identity")
	resp, err := servertest.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

func TestValidators(t *testing.T) {
	t.Parallel()
	s := startStatic(t)
	resp, body := do(t, "GET", s.URL(0, "/small.txt"))
	if resp.StatusCode != 200 || string(body) != "0123456789abcdefghij" {
		t.Fatalf("got %d %q", resp.StatusCode, body)
	}
	etag := resp.Header.Get("ETag")
	lm := resp.Header.Get("Last-Modified")
	if !strings.HasPrefix(etag, `"`) || !strings.HasSuffix(etag, `"`) || len(etag) < 5 {
		t.Errorf("ETag = %q, want a strong quoted tag", etag)
	}
	if _, err := time.Parse(http.TimeFormat, lm); err != nil {
		t.Errorf("Last-Modified = %q: %v", lm, err)
	}
	if got := resp.Header.Get("Accept-Ranges"); got != "bytes" {
		t.Errorf("Accept-Ranges = %q", got)
	}
	// The same file gives the same validators; a changed file a new ETag.
	resp2, _ := do(t, "GET", s.URL(0, "/small.txt"))
	if resp2.Header.Get("ETag") != etag {
		t.Errorf("ETag not stable: %q then %q", etag, resp2.Header.Get("ETag"))
	}
	p := filepath.Join(s.Dir, "www/small.txt")
	os.WriteFile(p, []byte("changed content, longer"), 0o644)
	later := time.Now().Add(time.Hour)
	os.Chtimes(p, later, later)
	resp3, _ := do(t, "GET", s.URL(0, "/small.txt"))
	if resp3.Header.Get("ETag") == etag {
		t.Errorf("ETag did not change with the file")
	}
}

func TestConditionalRequests(t *testing.T) {
	t.Parallel()
	s := startStatic(t)
	url := s.URL(0, "/small.txt")
	resp, _ := do(t, "GET", url)
	etag, lm := resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
	mod, _ := time.Parse(http.TimeFormat, lm)
	before := mod.Add(-time.Hour).Format(http.TimeFormat)

	tests := []struct {
		name   string
		method string
		hdr    []string
		status int
	}{
		{"If-None-Match hit", "GET", []string{"If-None-Match", etag}, 304},
		{"If-None-Match weak hit", "GET", []string{"If-None-Match", "W/" + etag}, 304},
		{"If-None-Match list", "GET", []string{"If-None-Match", `"nope", ` + etag}, 304},
		{"If-None-Match star", "GET", []string{"If-None-Match", "*"}, 304},
		{"If-None-Match HEAD", "HEAD", []string{"If-None-Match", etag}, 304},
		{"If-None-Match miss", "GET", []string{"If-None-Match", `"nope"`}, 200},
		{"If-Modified-Since same", "GET", []string{"If-Modified-Since", lm}, 304},
		{"If-Modified-Since earlier", "GET", []string{"If-Modified-Since", before}, 200},
		{"If-Modified-Since invalid", "GET", []string{"If-Modified-Since", "yesterday"}, 200},
		{"If-None-Match miss overrides IMS", "GET", []string{"If-None-Match", `"nope"`, "If-Modified-Since", lm}, 200},
		{"If-Match hit", "GET", []string{"If-Match", etag}, 200},
		{"If-Match miss", "GET", []string{"If-Match", `"nope"`}, 412},
		{"If-Match weak never matches", "GET", []string{"If-Match", "W/" + etag}, 412},
		{"If-Unmodified-Since earlier", "GET", []string{"If-Unmodified-Since", before}, 412},
		{"If-Unmodified-Since same", "GET", []string{"If-Unmodified-Since", lm}, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := do(t, tt.method, url, tt.hdr...)
			if resp.StatusCode != tt.status {
				t.Fatalf("got %d, want %d", resp.StatusCode, tt.status)
			}
			if tt.status == 304 {
				if len(body) != 0 || resp.Header.Get("ETag") != etag || resp.Header.Get("Last-Modified") != lm {
					t.Errorf("304 carries body %q ETag %q Last-Modified %q", body, resp.Header.Get("ETag"), resp.Header.Get("Last-Modified"))
				}
			}
		})
	}

	// On the wire: a 304 has no body and no framing headers that would
	// make a client wait for one; the connection stays usable. The two
	// responses are read by their framing, exactly (RFC 9112 §6.3: a 304
	// ends at its head), not to EOF: the connection stays open, and
	// reading to EOF would only end at the read deadline.
	c := s.Dial(t, 0)
	io.WriteString(c, "GET /small.txt HTTP/1.1\r\nHost: x\r\nIf-None-Match: "+etag+"\r\n\r\nGET /a.css HTTP/1.1\r\nHost: x\r\n\r\n")
	br := bufio.NewReader(c)
	first := servertest.ReadResponse(t, br, "GET")
	if first.StatusCode != 304 || first.Header.Get("ETag") != etag {
		t.Errorf("first response: got %d ETag %q, want 304 ETag %q", first.StatusCode, first.Header.Get("ETag"), etag)
	}
	if len(first.TransferEncoding) != 0 {
		t.Errorf("304 carries Transfer-Encoding: %q", first.TransferEncoding)
	}
	// Whatever followed the 304's head is read as the next response: a
	// body after the 304 would be taken for its status line.
	next, err := http.ReadResponse(br, &http.Request{Method: "GET"})
	if err != nil {
		t.Fatalf("the next response does not follow the 304 directly: %v", err)
	}
	body, err := io.ReadAll(next.Body)
	next.Body.Close()
	if err != nil || next.StatusCode != 200 || string(body) != "body{}" {
		t.Errorf("next response: got %d %q (%v), want 200 \"body{}\"", next.StatusCode, body, err)
	}
}

func TestRanges(t *testing.T) {
	t.Parallel()
	s := startStatic(t)
	small := "0123456789abcdefghij"
	tests := []struct {
		name   string
		path   string
		rng    string
		status int
		body   string
		cr     string
	}{
		{"first bytes", "/small.txt", "bytes=0-4", 206, "01234", "bytes 0-4/20"},
		{"open ended", "/small.txt", "bytes=15-", 206, "fghij", "bytes 15-19/20"},
		{"suffix", "/small.txt", "bytes=-3", 206, "hij", "bytes 17-19/20"},
		{"last clipped", "/small.txt", "bytes=18-100", 206, "ij", "bytes 18-19/20"},
		{"suffix longer than file", "/small.txt", "bytes=-100", 206, small, "bytes 0-19/20"},
		{"big file from an offset", "/big.bin", "bytes=500000-600009", 206, bigFile[500000:600010], "bytes 500000-600009/1048579"},
		{"big file tail", "/big.bin", "bytes=-7", 206, bigFile[len(bigFile)-7:], "bytes 1048572-1048578/1048579"},
		{"unsatisfiable", "/small.txt", "bytes=20-", 416, "", "bytes */20"},
		{"unsatisfiable empty file", "/empty.txt", "bytes=0-", 416, "", "bytes */0"},
		{"invalid syntax ignored", "/small.txt", "bytes=5-1", 200, small, ""},
		{"junk ignored", "/small.txt", "bytes=x-y", 200, small, ""},
		{"other unit ignored", "/small.txt", "lines=1-2", 200, small, ""},
		{"overlapping abuse ignored", "/small.txt", "bytes=0-,0-,0-", 200, small, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := do(t, "GET", s.URL(0, tt.path), "Range", tt.rng)
			if resp.StatusCode != tt.status {
				t.Fatalf("got %d, want %d", resp.StatusCode, tt.status)
			}
			if tt.status != 416 && string(body) != tt.body {
				t.Errorf("body %d bytes %.40q, want %d bytes %.40q", len(body), body, len(tt.body), tt.body)
			}
			if got := resp.Header.Get("Content-Range"); got != tt.cr {
				t.Errorf("Content-Range = %q, want %q", got, tt.cr)
			}
			if tt.status == 206 && resp.ContentLength != int64(len(tt.body)) {
				t.Errorf("Content-Length = %d, want %d", resp.ContentLength, len(tt.body))
			}
		})
	}

	t.Run("HEAD ignores Range", func(t *testing.T) {
		resp, body := do(t, "HEAD", s.URL(0, "/small.txt"), "Range", "bytes=0-4")
		if resp.StatusCode != 200 || len(body) != 0 || resp.ContentLength != 20 {
			t.Errorf("got %d, %d body bytes, Content-Length %d", resp.StatusCode, len(body), resp.ContentLength)
		}
	})
	t.Run("If-Range", func(t *testing.T) {
		resp, _ := do(t, "GET", s.URL(0, "/small.txt"))
		etag, lm := resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
		for _, tt := range []struct {
			ifRange string
			status  int
		}{{etag, 206}, {lm, 206}, {`"stale"`, 200}, {"W/" + etag, 200}, {"Mon, 02 Jan 2006 15:04:05 GMT", 200}} {
			resp, body := do(t, "GET", s.URL(0, "/small.txt"), "Range", "bytes=0-1", "If-Range", tt.ifRange)
			if resp.StatusCode != tt.status {
				t.Errorf("If-Range %q: got %d %q, want %d", tt.ifRange, resp.StatusCode, body, tt.status)
			}
		}
	})
}

// A multi-range request is answered with multipart/byteranges whose parts,
// parsed back, are the requested bytes of the file.
func TestMultipartByteranges(t *testing.T) {
	t.Parallel()
	s := startStatic(t)
	for _, tt := range []struct {
		path   string
		ranges [][2]int // inclusive
	}{
		{"/small.txt", [][2]int{{0, 1}, {5, 7}, {19, 19}}},
		{"/big.bin", [][2]int{{0, 99}, {70000, 170000}, {1048570, 1048578}}},
	} {
		var spec []string
		for _, r := range tt.ranges {
			spec = append(spec, strconv.Itoa(r[0])+"-"+strconv.Itoa(r[1]))
		}
		resp, body := do(t, "GET", s.URL(0, tt.path), "Range", "bytes="+strings.Join(spec, ","))
		if resp.StatusCode != 206 {
			t.Fatalf("%s: got %d", tt.path, resp.StatusCode)
		}
		if resp.ContentLength != int64(len(body)) {
			t.Errorf("Content-Length %d, body %d", resp.ContentLength, len(body))
		}
		mt, params, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
		if err != nil || mt != "multipart/byteranges" || params["boundary"] == "" {
			t.Fatalf("Content-Type %q: %v", resp.Header.Get("Content-Type"), err)
		}
		file := "0123456789abcdefghij"
		if tt.path == "/big.bin" {
			file = bigFile
		}
		mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
		for i, r := range tt.ranges {
			part, err := mr.NextPart()
			if err != nil {
				t.Fatalf("part %d: %v", i, err)
			}
			got, _ := io.ReadAll(part)
			if want := file[r[0] : r[1]+1]; string(got) != want {
				t.Errorf("part %d: %d bytes, want %d", i, len(got), len(want))
			}
			wantCR := "bytes " + strconv.Itoa(r[0]) + "-" + strconv.Itoa(r[1]) + "/" + strconv.Itoa(len(file))
			if cr := part.Header.Get("Content-Range"); cr != wantCR {
				t.Errorf("part %d Content-Range %q, want %q", i, cr, wantCR)
			}
			if ct := part.Header.Get("Content-Type"); ct == "" {
				t.Errorf("part %d has no Content-Type", i)
			}
		}
		if _, err := mr.NextPart(); err != io.EOF {
			t.Errorf("after the last part: %v, want EOF", err)
		}
	}
}

func TestContentTypes(t *testing.T) {
	t.Parallel()
	s := startStatic(t)
	for path, want := range map[string]string{
		"/index.html":    "text/html; charset=utf-8",
		"/small.txt":     "text/plain; charset=utf-8",
		"/a.css":         "text/css; charset=utf-8",
		"/a.js":          "text/javascript; charset=utf-8",
		"/a.mjs":         "text/javascript; charset=utf-8",
		"/a.json":        "application/json",
		"/a.svg":         "image/svg+xml",
		"/a.png":         "image/png",
		"/a.JPG":         "image/jpeg",
		"/a.webp":        "image/webp",
		"/a.avif":        "image/avif",
		"/a.woff2":       "font/woff2",
		"/a.wasm":        "application/wasm",
		"/a.mp4":         "video/mp4",
		"/a.pdf":         "application/pdf",
		"/a.unknownext":  "application/octet-stream",
		"/noext":         "application/octet-stream",
		"/files/":        "text/html; charset=utf-8",
		"/files/sub/../": "text/html; charset=utf-8",
	} {
		resp, _ := do(t, "GET", s.URL(0, path))
		if got := resp.Header.Get("Content-Type"); got != want {
			t.Errorf("%s: Content-Type %q, want %q", path, got, want)
		}
	}
}

func TestEmptyFile(t *testing.T) {
	t.Parallel()
	s := startStatic(t)
	resp, _ := s.Exchange(t, 0, "GET", "GET /empty.txt HTTP/1.1\r\nHost: x\r\n\r\n")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Length") != "0" || len(resp.Body) != 0 {
		t.Errorf("got %d Content-Length %q body %q", resp.StatusCode, resp.Header.Get("Content-Length"), resp.Body)
	}
}

func TestOptions(t *testing.T) {
	t.Parallel()
	s := startStatic(t)
	for _, tt := range []struct{ raw, allow string }{
		{"OPTIONS /small.txt HTTP/1.1\r\nHost: x\r\n\r\n", "GET, HEAD, OPTIONS"},
		{"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", ""},
	} {
		resp, closed := s.Exchange(t, 0, "OPTIONS", tt.raw)
		if resp.StatusCode != 204 || closed || len(resp.Body) != 0 {
			t.Errorf("%q: got %d closed=%v body %q", tt.raw, resp.StatusCode, closed, resp.Body)
		}
		if tt.allow != "" && resp.Header.Get("Allow") != tt.allow {
			t.Errorf("%q: Allow %q, want %q", tt.raw, resp.Header.Get("Allow"), tt.allow)
		}
		if resp.Header.Get("Content-Length") != "" {
			t.Errorf("204 with Content-Length %q", resp.Header.Get("Content-Length"))
		}
	}
}

func TestListingHostileNames(t *testing.T) {
	t.Parallel()
	s := startStatic(t)
	resp, b := do(t, "GET", s.URL(0, "/files/"))
	body := string(b)
	if resp.StatusCode != 200 {
		t.Fatalf("got %d", resp.StatusCode)
	}
	for _, want := range []string{
		`href="a%20b.txt"`, `>a b.txt</a>`,
		`href="100%25.txt"`,
		`href="%3Cx%3E.txt"`, `>&lt;x&gt;.txt</a>`,
		`href="a&amp;b.txt"`, `>a&amp;b.txt</a>`,
		`&#34;q&#39;.txt</a>`,
		`href="caf%C3%A9%20%C3%BC.txt"`, `>café ü.txt</a>`,
		`href="sub/"`,
		`href="../"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("listing lacks %s", want)
		}
	}
	if strings.Contains(body, ".secret") || strings.Contains(body, "<x>") {
		t.Errorf("listing shows a dotfile or unescaped markup")
	}
	if !strings.Contains(body, "(UTC)") {
		t.Errorf("listing has no UTC times:\n%s", body)
	}
	if t.Failed() {
		t.Logf("listing:\n%s", body)
	}
	// Every link resolves to the file.
	for name, content := range map[string]string{"a%20b.txt": "space", "100%25.txt": "pct", "%3Cx%3E.txt": "lt", "a&b.txt": "amp", "%22q'.txt": "quotes", "caf%C3%A9%20%C3%BC.txt": "unicode"} {
		if resp, got := do(t, "GET", s.URL(0, "/files/"+name)); resp.StatusCode != 200 || string(got) != content {
			t.Errorf("link %s: got %d %q", name, resp.StatusCode, got)
		}
	}
}

// curl -C - resumes an interrupted download to a byte-identical copy.
func TestCurlResume(t *testing.T) {
	t.Parallel()
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("curl not installed (CI installs it)")
	}
	data := make([]byte, 5<<20)
	for i := range data {
		data[i] = byte(i*7 + i>>9)
	}
	s := servertest.Start(t, staticConf, 1, map[string]string{"www/five.bin": string(data)})
	out := filepath.Join(t.TempDir(), "five.bin")
	// The interrupted download: the first 1,234,567 bytes made it to disk.
	if err := os.WriteFile(out, data[:1234567], 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(curl, "-sS", "--fail", "--max-time", "30", "-C", "-", "-o", out, "-w", "%{http_code} %{size_download}", s.URL(0, "/five.bin"))
	res, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("curl: %v\n%s", err, res)
	}
	if string(res) != "206 "+strconv.Itoa(len(data)-1234567) {
		t.Errorf("curl reported %q, want a 206 of the remaining bytes", res)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if sha256.Sum256(got) != sha256.Sum256(data) {
		t.Errorf("resumed file differs: %d bytes, want %d", len(got), len(data))
	}
}

// OPTIONS is a method like the others (SPEC §2 methods): answered with 204
// and Allow only where `methods` allows it, else 405; Allow lists exactly
// the allowed methods, each once (RFC 9110 §10.2.1). OPTIONS * asks about
// the server and is answered whatever the locations say (§9.3.7).
func TestOptionsFollowsMethods(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, `
server {
    listen 127.0.0.1:$PORT0;
    root www;
    location /post/ { methods GET POST; }
    location /opt/ { methods GET OPTIONS; }
    location /del/ { methods OPTIONS GET DELETE GET; }
    location /none/ { methods POST; }
}
`, 1, map[string]string{"www/post/a.txt": "a", "www/opt/a.txt": "a", "www/del/a.txt": "a", "www/a.txt": "a"})
	for _, tt := range []struct {
		method, path string
		status       int
		allow        string
	}{
		{"OPTIONS", "/a.txt", 204, "GET, HEAD, OPTIONS"}, // the default methods
		{"DELETE", "/a.txt", 405, "GET, HEAD, OPTIONS"},
		{"OPTIONS", "/post/a.txt", 405, "GET, HEAD, POST"},
		{"DELETE", "/post/a.txt", 405, "GET, HEAD, POST"},
		// POST is allowed but nothing stores it here: the resource
		// supports only what is both allowed and implemented.
		{"POST", "/post/a.txt", 405, "GET, HEAD"},
		{"OPTIONS", "/opt/a.txt", 204, "GET, HEAD, OPTIONS"},
		{"PUT", "/opt/a.txt", 405, "GET, HEAD, OPTIONS"},
		{"OPTIONS", "/del/a.txt", 204, "OPTIONS, GET, HEAD, DELETE"},
		{"OPTIONS", "/none/a.txt", 405, "POST"},
		{"OPTIONS", "*", 204, "GET, HEAD, OPTIONS"},
	} {
		raw := tt.method + " " + tt.path + " HTTP/1.1\r\nHost: x\r\n"
		if tt.method == "POST" || tt.method == "PUT" {
			raw += "Content-Length: 0\r\n"
		}
		resp, closed := s.Exchange(t, 0, tt.method, raw+"\r\n")
		if resp.StatusCode != tt.status || closed {
			t.Errorf("%s %s: got %d closed=%v, want %d", tt.method, tt.path, resp.StatusCode, closed, tt.status)
		}
		if got := resp.Header.Values("Allow"); len(got) != 1 || got[0] != tt.allow {
			t.Errorf("%s %s: Allow %q, want %q", tt.method, tt.path, got, tt.allow)
		}
	}
}

// An alias may name a file (SPEC §2, as in nginx): in `location =` it is
// the file for that path; in a prefix location it serves the location's
// own path and nothing below it. A script named by the alias runs as CGI
// (never sent as a file), with the rest of the path as PATH_INFO.
func TestAliasFile(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, `
server {
    listen 127.0.0.1:$PORT0;
    root www;
    location = /favicon.ico { alias icons/fav.ico; }
    location /robots.txt { alias meta/robots.txt; }
    location = /app { alias bin/app.sh; cgi .sh /bin/sh; }
    location /tool { alias bin/tool.sh; cgi .sh /bin/sh; }
    location = /run.sh { alias meta/robots.txt; cgi .sh /bin/sh; }
}
`, 1, map[string]string{
		"www/index.html":  "home",
		"icons/fav.ico":   "ICON",
		"meta/robots.txt": "User-agent: *\n",
		"bin/app.sh":      "printf 'Content-Type: text/plain\\r\\n\\r\\nran %s|%s' \"$SCRIPT_NAME\" \"$PATH_INFO\"\n",
		"bin/tool.sh":     "printf 'Content-Type: text/plain\\r\\n\\r\\ntool %s|%s' \"$SCRIPT_NAME\" \"$PATH_INFO\"\n",
	})
	for _, tt := range []struct {
		method, path string
		status       int
		body         string
	}{
		{"GET", "/favicon.ico", 200, "ICON"},
		{"HEAD", "/favicon.ico", 200, ""},
		{"GET", "/favicon.ico/", 404, ""},
		{"GET", "/robots.txt", 200, "User-agent: *\n"},
		{"GET", "/robots.txt/", 404, ""},
		{"GET", "/robots.txt/x", 404, ""},
		{"GET", "/app", 200, "ran /app|"},
		{"GET", "/tool", 200, "tool /tool|"},
		{"GET", "/tool/a/b", 200, "tool /tool|/a/b"},
		// The URL ends in a CGI extension but the alias names a text
		// file: the file decides, as the alias is what is served.
		{"GET", "/run.sh", 200, "User-agent: *\n"},
	} {
		resp, _ := do(t, tt.method, s.URL(0, tt.path))
		if resp.StatusCode != tt.status {
			t.Errorf("%s %s: got %d, want %d", tt.method, tt.path, resp.StatusCode, tt.status)
			continue
		}
	}
	for _, tt := range []struct{ path, body string }{
		{"/favicon.ico", "ICON"}, {"/robots.txt", "User-agent: *\n"}, {"/app", "ran /app|"},
		{"/tool", "tool /tool|"}, {"/tool/a/b", "tool /tool|/a/b"}, {"/run.sh", "User-agent: *\n"},
	} {
		if _, body := do(t, "GET", s.URL(0, tt.path)); string(body) != tt.body {
			t.Errorf("GET %s: body %q, want %q", tt.path, body, tt.body)
		}
	}
}
