package server_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"webserv/internal/servertest"
	"webserv/internal/servertest/wait"
)

// Uploads and deletes over loopback (SPEC §4), with Go's client and raw
// sockets.

const uploadConf = `
server {
    listen 127.0.0.1:$PORT0;
    root www;
    location /up/ {
        alias store;
        upload_store store;
        methods GET POST PUT DELETE;
        client_max_body_size 64k;
    }
    location /www/ { methods GET DELETE; }
}
`

func startUpload(t *testing.T) *servertest.Server {
	t.Helper()
	return servertest.Start(t, uploadConf, 1, map[string]string{
		"www/index.html":   "home",
		"www/www/gone.txt": "bye",
		"www/www/dir/":     "",
		"store/":           "",
		"store/sub/":       "",
		"secret.txt":       "TOP SECRET",
	})
}

// storeFiles lists the store, temporary files included.
func storeFiles(t *testing.T, s *servertest.Server) []string {
	t.Helper()
	var names []string
	filepath.WalkDir(filepath.Join(s.Dir, "store"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(filepath.Join(s.Dir, "store"), p)
			names = append(names, rel)
		}
		return nil
	})
	return names
}

func TestMultipartUpload(t *testing.T) {
	t.Parallel()
	s := startUpload(t)
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("comment", "not a file")
	f1, _ := mw.CreateFormFile("file", "../../evil name.txt")
	f1.Write([]byte("first file"))
	f2, _ := mw.CreateFormFile("file", "résumé.pdf")
	f2.Write(bytes.Repeat([]byte{0, 1, 2, 255}, 1000))
	mw.Close()

	req, _ := http.NewRequest("POST", s.URL(0, "/up/"), bytes.NewReader(body.Bytes()))
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Accept", "application/json")
	resp, err := servertest.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 201 {
		t.Fatalf("got %d %s", resp.StatusCode, b)
	}
	var summary struct {
		Files []struct{ Name, URL string }
	}
	if err := json.Unmarshal(b, &summary); err != nil || len(summary.Files) != 2 {
		t.Fatalf("summary %s: %v", b, err)
	}
	if loc := resp.Header.Get("Location"); loc != summary.Files[0].URL || !strings.HasPrefix(loc, "/up/") {
		t.Errorf("Location %q, first file %q", loc, summary.Files[0].URL)
	}
	// What was stored is served back byte for byte, and nothing escaped
	// the store.
	for i, want := range []string{"first file", string(bytes.Repeat([]byte{0, 1, 2, 255}, 1000))} {
		r, got := do(t, "GET", s.URL(0, summary.Files[i].URL))
		if r.StatusCode != 200 || string(got) != want {
			t.Errorf("file %d (%s): got %d, %d bytes", i, summary.Files[i].URL, r.StatusCode, len(got))
		}
	}
	if got := storeFiles(t, s); len(got) != 2 {
		t.Errorf("store holds %q, want the 2 files", got)
	}
	if _, err := os.Stat(filepath.Join(s.Dir, "evil name.txt")); err == nil {
		t.Error("a file was written outside the store")
	}
}

func TestRawUploadAndUniqueNames(t *testing.T) {
	t.Parallel()
	s := startUpload(t)
	var locs []string
	for range 3 {
		resp, b := doBody(t, "POST", s.URL(0, "/up/note.txt"), "hello", "Content-Type", "text/plain")
		if resp.StatusCode != 201 {
			t.Fatalf("got %d %s", resp.StatusCode, b)
		}
		locs = append(locs, resp.Header.Get("Location"))
	}
	want := []string{"/up/note.txt", "/up/note-1.txt", "/up/note-2.txt"}
	if strings.Join(locs, " ") != strings.Join(want, " ") {
		t.Errorf("Locations %q, want %q", locs, want)
	}
	// A POST to the collection gets a generated name.
	resp, _ := doBody(t, "POST", s.URL(0, "/up/"), "data", "Content-Type", "application/octet-stream")
	if resp.StatusCode != 201 || !strings.HasPrefix(resp.Header.Get("Location"), "/up/") {
		t.Errorf("unnamed upload: %d Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func TestPutAndDelete(t *testing.T) {
	t.Parallel()
	s := startUpload(t)
	steps := []struct {
		method, path, body string
		status             int
	}{
		{"PUT", "/up/a.txt", "one", 201},
		{"PUT", "/up/a.txt", "two", 204},
		{"GET", "/up/a.txt", "", 200},
		{"PUT", "/up/sub/b.txt", "b", 201},
		{"PUT", "/up/missing/c.txt", "c", 409},
		{"PUT", "/up/sub", "x", 409},
		{"DELETE", "/up/a.txt", "", 204},
		{"DELETE", "/up/a.txt", "", 404},
		{"GET", "/up/a.txt", "", 404},
		{"DELETE", "/up/sub", "", 409},
		{"DELETE", "/www/gone.txt", "", 204},
		{"DELETE", "/www/dir", "", 409},
		{"DELETE", "/index.html", "", 405},
		{"DELETE", "/up/../secret.txt", "", 405}, // = /secret.txt, where DELETE is not allowed
		{"DELETE", "/up/../../secret.txt", "", 400},
		{"DELETE", "/up/%2e%2e/%2e%2e/secret.txt", "", 400},
	}
	for _, st := range steps {
		var resp *http.Response
		var b []byte
		if st.method == "PUT" {
			resp, b = doBody(t, st.method, s.URL(0, st.path), st.body)
		} else {
			r, closed := s.Exchange(t, 0, st.method, st.method+" "+st.path+" HTTP/1.1\r\nHost: x\r\n\r\n")
			resp, b = r.Response, r.Body
			_ = closed
		}
		if resp.StatusCode != st.status {
			t.Errorf("%s %s: got %d %s, want %d", st.method, st.path, resp.StatusCode, b, st.status)
		}
		if st.method == "GET" && st.status == 200 && string(b) != "two" {
			t.Errorf("GET after replace: %q", b)
		}
		if st.status == 405 && resp.Header.Get("Allow") == "" {
			t.Errorf("405 without Allow")
		}
	}
	if b, err := os.ReadFile(filepath.Join(s.Dir, "secret.txt")); err != nil || string(b) != "TOP SECRET" {
		t.Errorf("the file outside the root was touched: %v", err)
	}
}

// Refusals: a body too large is refused from Content-Length before any
// byte is read, and with Expect: 100-continue the final status comes
// instead of 100. A chunked body that grows past the limit is cut off at
// 413 and leaves nothing behind; so does one whose framing breaks.
func TestUploadRefusals(t *testing.T) {
	t.Parallel()
	s := startUpload(t)
	big := strings.Repeat("x", 72*1024)

	resp, closed := s.Exchange(t, 0, "POST", "POST /up/big.bin HTTP/1.1\r\nHost: x\r\nContent-Length: 66560\r\nExpect: 100-continue\r\n\r\n")
	if resp.StatusCode != 413 || !closed {
		t.Errorf("413 from Content-Length with Expect: got %d closed=%v", resp.StatusCode, closed)
	}
	resp, _ = s.Exchange(t, 0, "PUT", "PUT /up/nodir/x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
	if resp.StatusCode != 409 {
		t.Errorf("PUT into a missing directory with Expect: got %d, want 409 without 100", resp.StatusCode)
	}
	resp, _ = s.Exchange(t, 0, "POST", "POST /up/x HTTP/1.1\r\nHost: x\r\n\r\n")
	if resp.StatusCode != 411 {
		t.Errorf("POST without a length: got %d", resp.StatusCode)
	}

	// Expect: 100-continue on an accepted upload gets 100, then 201.
	c := s.Dial(t, 0)
	io.WriteString(c, "PUT /up/cont.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
	br := bufio.NewReader(c)
	line, _ := br.ReadString('\n')
	if !strings.HasPrefix(line, "HTTP/1.1 100 ") {
		t.Fatalf("expected 100 Continue, got %q", line)
	}
	br.ReadString('\n')
	io.WriteString(c, "hello")
	if r := servertest.ReadResponse(t, br, "PUT"); r.StatusCode != 201 {
		t.Errorf("after 100: got %d", r.StatusCode)
	}

	// Chunked, past the limit.
	raw := "POST /up/chunked.bin HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
	for i := 0; i < len(big); i += 8192 {
		raw += "2000\r\n" + big[i:i+8192] + "\r\n"
	}
	raw += "0\r\n\r\n"
	resp, closed = s.Exchange(t, 0, "POST", raw)
	if resp.StatusCode != 413 || !closed {
		t.Errorf("chunked past the limit: got %d closed=%v", resp.StatusCode, closed)
	}
	// Broken chunked framing mid-upload.
	resp, closed = s.Exchange(t, 0, "POST", "POST /up/broken.bin HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\n")
	if resp.StatusCode != 400 || !closed {
		t.Errorf("broken chunked body: got %d closed=%v", resp.StatusCode, closed)
	}
	// A client that disconnects mid-body.
	c = s.Dial(t, 0)
	io.WriteString(c, "POST /up/cut.bin HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nonly a few bytes")
	c.Close()

	// Only the one accepted upload is there, and no temporary file is
	// left behind (poll: the server notices the disconnect on its own
	// time).
	want := "cont.txt"
	wait.Until(t, servertest.IOTimeout, func() error {
		if got := strings.Join(storeFiles(t, s), " "); got != want {
			return fmt.Errorf("store holds %q, want %q", got, want)
		}
		return nil
	})
}

// TestUploadDisconnect: a client that stops mid-body (its side shut down,
// so the server reads EOF before the announced end) gets no success
// response, and the store is left as it was: no partial file, no
// temporary file, an earlier part of a multipart body rolled back, a
// replaced file unchanged. Waiting for the server to close its side makes
// the check deterministic: by then the handler has returned.
func TestUploadDisconnect(t *testing.T) {
	t.Parallel()
	part := func(name, content string) string {
		return "--XB\r\nContent-Disposition: form-data; name=\"f\"; filename=\"" + name + "\"\r\n\r\n" + content + "\r\n"
	}
	full := part("one.txt", "first file, complete") + part("two.txt", strings.Repeat("x", 1000)) + "--XB--\r\n"
	cut := full[:strings.Index(full, "two.txt")+200]
	tests := []struct {
		name     string
		head     string // up to the empty line
		expect   bool   // wait for 100 Continue before sending the body
		sentBody string
	}{
		{"content-length", "POST /up/cut.bin HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n", false, "only a few bytes"},
		{"chunked", "POST /up/cut.bin HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n", false, "5\r\nhello\r\n"},
		{"chunked mid-chunk", "PUT /up/cut.bin HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n", false, "100\r\nhello"},
		{"multipart second part", fmt.Sprintf("POST /up/ HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=XB\r\n"+
			"Content-Length: %d\r\n", len(full)), false, cut},
		{"put replace", "PUT /up/keep.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n", false, "new but short"},
		{"after 100-continue", "PUT /up/new.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\nExpect: 100-continue\r\n", true, "short"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startUpload(t)
			servertest.WriteFiles(t, s.Dir, map[string]string{"store/keep.txt": "old content"})
			before := storeFiles(t, s)

			c := s.Dial(t, 0)
			br := bufio.NewReader(c)
			io.WriteString(c, tt.head+"\r\n")
			if tt.expect {
				if line, err := br.ReadString('\n'); !strings.HasPrefix(line, "HTTP/1.1 100 ") {
					t.Fatalf("want 100 Continue, got %q %v", line, err)
				}
				br.ReadString('\n')
			}
			io.WriteString(c, tt.sentBody)
			c.(*net.TCPConn).CloseWrite()
			rest, err := io.ReadAll(br) // until the server closes
			if err != nil {
				t.Fatalf("waiting for the server to close: %v", err)
			}
			if bytes.Contains(rest, []byte(" 201 ")) || bytes.Contains(rest, []byte(" 204 ")) {
				t.Errorf("an incomplete body was answered with success: %q", rest)
			}
			if got := storeFiles(t, s); !slices.Equal(got, before) {
				t.Errorf("store holds %q, want %q as before", got, before)
			}
			if got := readFileT(t, filepath.Join(s.Dir, "store", "keep.txt")); got != "old content" {
				t.Errorf("keep.txt = %q, want the old content", got)
			}
		})
	}
}

// hostileConf nests the store two levels deep, so that "../../etc/passwd"
// from it names a file of the test's own tree (a canary), not the real
// /etc/passwd.
const hostileConf = `
server {
    listen 127.0.0.1:$PORT0;
    root www;
    location /up/ {
        upload_store a/b/store;
        methods POST PUT;
    }
}
`

// TestHostileFilenames sends hostile file names over a raw socket, as
// multipart filename parameters (RFC 7578 §4.2, with RFC 5987 "filename*")
// and as request targets: each is stored under a sanitised name inside the
// store, or refused; nothing outside the store is created or changed, and
// a symlink planted in the store is never written through.
func TestHostileFilenames(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", 300) + ".txt"
	tests := []struct {
		name string
		// disposition is the part's Content-Disposition after
		// `form-data; name="f"; `; empty sends a raw body to target.
		disposition    string
		method, target string // default POST /up/
		symlink        string // a symlink of this name in the store, to the canary a/etc/passwd
		wantStatus     int
		wantName       string // the stored name; "upload-" means a generated one
	}{
		{name: "unix traversal", disposition: `filename="../../etc/passwd"`, wantStatus: 201, wantName: "passwd"},
		{name: "absolute", disposition: `filename="/etc/passwd"`, wantStatus: 201, wantName: "passwd"},
		// Browsers send backslashes unescaped; Go's MIME parser keeps a
		// backslash not followed by a special character.
		{name: "windows traversal", disposition: `filename="..\..\x"`, wantStatus: 201, wantName: "x"},
		{name: "windows traversal quoted-pair", disposition: `filename="..\\..\\x"`, wantStatus: 201, wantName: "x"},
		{name: "fakepath traversal", disposition: `filename="C:\fakepath\..\..\x.txt"`, wantStatus: 201, wantName: "x.txt"},
		{name: "encoded traversal", disposition: `filename*=UTF-8''..%2F..%2Fetc%2Fpasswd`, wantStatus: 201, wantName: "passwd"},
		{name: "htaccess", disposition: `filename=".htaccess"`, wantStatus: 201, wantName: "htaccess"},
		{name: "dotdot only", disposition: `filename=".."`, wantStatus: 201, wantName: "upload-"},
		{name: "dots and spaces", disposition: `filename=" . .. "`, wantStatus: 201, wantName: "upload-"},
		{name: "directory only", disposition: `filename="../"`, wantStatus: 201, wantName: "upload-"},
		{name: "too long", disposition: `filename="` + long + `"`, wantStatus: 201, wantName: strings.Repeat("a", 251) + ".txt"},
		// Raw control bytes cannot appear in a part's header field
		// (RFC 9110 §5.5; Go's textproto rejects them): the body is
		// malformed, 400, nothing stored. Percent-encoded in
		// filename*, they reach Sanitize, which drops them.
		{name: "raw NUL", disposition: "filename=\"evil.php\x00.jpg\"", wantStatus: 400},
		{name: "raw CR LF", disposition: "filename=\"a\r\nb.txt\"", wantStatus: 400},
		{name: "raw LF", disposition: "filename=\"a\nb.txt\"", wantStatus: 400},
		{name: "encoded NUL", disposition: `filename*=UTF-8''evil.php%00.jpg`, wantStatus: 201, wantName: "evil.php.jpg"},
		{name: "encoded CR LF", disposition: `filename*=UTF-8''a%0D%0Ab.txt`, wantStatus: 201, wantName: "ab.txt"},
		{name: "planted symlink", disposition: `filename="link.txt"`, symlink: "link.txt", wantStatus: 201, wantName: "link-1.txt"},
		// Names from the request target.
		{name: "post hidden", target: "/up/.htaccess", wantStatus: 201, wantName: "htaccess"},
		{name: "post backslashes", target: "/up/..%5c..%5cx", wantStatus: 201, wantName: "x"},
		{name: "post encoded NUL", target: "/up/a%00b.txt", wantStatus: 400},
		{name: "post encoded CR LF", target: "/up/a%0d%0ab.txt", wantStatus: 400},
		{name: "post symlink", target: "/up/link.txt", symlink: "link.txt", wantStatus: 201, wantName: "link-1.txt"},
		{name: "put hidden", method: "PUT", target: "/up/.htaccess", wantStatus: 400},
		{name: "put backslashes", method: "PUT", target: "/up/..%5c..%5cx", wantStatus: 400},
		{name: "put encoded NUL", method: "PUT", target: "/up/a%00b.txt", wantStatus: 400},
		{name: "put symlink", method: "PUT", target: "/up/link.txt", symlink: "link.txt", wantStatus: 204, wantName: "link.txt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := servertest.Start(t, hostileConf, 1, map[string]string{
				"www/":          "",
				"a/b/store/":    "",
				"etc/passwd":    "canary 1",
				"a/etc/passwd":  "canary 2",
				"a/x":           "canary 3",
				"a/b/x":         "canary 4",
				"a/b/.htaccess": "canary 5",
				"a/b/store.txt": "canary 6",
			})
			store := filepath.Join(s.Dir, "a", "b", "store")
			if tt.symlink != "" {
				if err := os.Symlink(filepath.Join(s.Dir, "a", "etc", "passwd"), filepath.Join(store, tt.symlink)); err != nil {
					t.Skip("no symlinks:", err)
				}
			}
			outside := treeOutside(t, s.Dir, store)
			before := storeNames(t, store)

			const content = "hostile content"
			method, target := tt.method, tt.target
			if method == "" {
				method = "POST"
			}
			if target == "" {
				target = "/up/"
			}
			ctype, body := "application/octet-stream", content
			if tt.disposition != "" {
				ctype = "multipart/form-data; boundary=XB"
				body = "--XB\r\nContent-Disposition: form-data; name=\"f\"; " + tt.disposition + "\r\n\r\n" +
					content + "\r\n--XB--\r\n"
			}
			c := s.Dial(t, 0)
			fmt.Fprintf(c, "%s %s HTTP/1.1\r\nHost: x\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n%s",
				method, target, ctype, len(body), body)
			r := servertest.ReadResponse(t, bufio.NewReader(c), method)
			if r.StatusCode != tt.wantStatus {
				t.Errorf("got %d %s, want %d", r.StatusCode, r.Body, tt.wantStatus)
			}

			after := storeNames(t, store)
			var added []string
			for _, n := range after {
				if !slices.Contains(before, n) {
					added = append(added, n)
				}
			}
			switch {
			case tt.wantName == "":
				if len(added) != 0 || !slices.Equal(before, after) {
					t.Errorf("refused, yet the store went from %q to %q", before, after)
				}
			case tt.method == "PUT":
				if len(added) != 0 || readFileT(t, filepath.Join(store, tt.wantName)) != content {
					t.Errorf("PUT: store %q -> %q, %s not holding the body", before, after, tt.wantName)
				}
			case len(added) != 1 || strings.HasPrefix(tt.wantName, "upload-") != strings.HasPrefix(added[0], "upload-") ||
				!strings.HasPrefix(tt.wantName, "upload-") && added[0] != tt.wantName:
				t.Errorf("store gained %q, want [%q]", added, tt.wantName)
			default:
				if got := readFileT(t, filepath.Join(store, added[0])); got != content {
					t.Errorf("%s holds %q, want %q", added[0], got, content)
				}
			}
			for _, n := range after {
				if strings.HasPrefix(n, ".") || strings.ContainsAny(n, "\\\x00\r\n") {
					t.Errorf("unsafe name %q in the store", n)
				}
			}
			if got := treeOutside(t, s.Dir, store); !maps.Equal(got, outside) {
				t.Errorf("the tree outside the store changed:\n got %q\nwant %q", got, outside)
			}
		})
	}
}

// treeOutside maps every file under dir, except those under store, to its
// content (a symlink to its target).
func treeOutside(t *testing.T, dir, store string) map[string]string {
	t.Helper()
	files := make(map[string]string)
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		switch {
		case p == store:
			return filepath.SkipDir
		case d.Type()&os.ModeSymlink != 0:
			target, err := os.Readlink(p)
			files[rel] = "-> " + target
			return err
		case !d.IsDir():
			b, err := os.ReadFile(p)
			files[rel] = string(b)
			return err
		}
		files[rel+"/"] = ""
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// storeNames lists the entries of the store directory, hidden ones included.
func storeNames(t *testing.T, store string) []string {
	t.Helper()
	entries, err := os.ReadDir(store)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func readFileT(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func doBody(t *testing.T, method, url, body string, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := servertest.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// pollPause is the interval between two looks at a set that must hold
// still (settledFDs); a test waiting for a condition uses wait.Until.
func pollPause() { time.Sleep(10 * time.Millisecond) }

// A client that sends a body over client_max_body_size without waiting
// for 100 Continue (as browsers do) gets the 413, and the connection is
// closed gently (lingering close, RFC 9112 §9.6): the server half-closes
// and discards what the client still sends, so the client can finish
// writing and read the answer instead of hitting a reset. Without it the
// client's writes after the answer fail with ECONNRESET or EPIPE.
func TestOversizedBodyLingeringClose(t *testing.T) {
	t.Parallel()
	s := startUpload(t)
	c := s.Dial(t, 0)
	const size = 8 << 20
	io.WriteString(c, "POST /up/big.bin HTTP/1.1\r\nHost: x\r\nContent-Length: "+strconv.Itoa(size)+"\r\n\r\n")
	br := bufio.NewReader(c)
	if r := servertest.ReadResponse(t, br, "POST"); r.StatusCode != 413 {
		t.Fatalf("got %d, want 413", r.StatusCode)
	}
	// The server has answered and closed its side; keep sending the body.
	chunk := bytes.Repeat([]byte("x"), 64<<10)
	for sent := 0; sent < size; sent += len(chunk) {
		if _, err := c.Write(chunk); err != nil {
			t.Fatalf("writing the body after the 413 (at %d bytes): %v", sent, err)
		}
	}
	if _, err := br.ReadByte(); err != io.EOF {
		t.Errorf("after the body: %v, want EOF", err)
	}
	if got := storeFiles(t, s); len(got) != 0 {
		t.Errorf("store holds %q after a refused upload", got)
	}
}
