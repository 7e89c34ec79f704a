package server_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"webserv/internal/servertest"
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
	for i := 0; ; i++ {
		got := strings.Join(storeFiles(t, s), " ")
		if got == want {
			break
		}
		if i == 200 {
			t.Fatalf("store holds %q, want %q", got, want)
		}
		pollPause()
	}
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

// pollPause is the interval between two checks of a condition a test
// polls for.
func pollPause() { time.Sleep(10 * time.Millisecond) }
