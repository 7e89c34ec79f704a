package server_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"webserv/internal/servertest"
)

// SPEC §5: a CGI script is only ever run, never sent as a file, and what
// anyone can upload never becomes a program (issue 14, item 2).

// evilScript prints "RAN-42" when /bin/sh runs it; its source holds only
// "RAN-$((6*7))", so a body with "RAN-42" means it ran.
const evilScript = "echo 'Content-Type: text/plain'; echo; echo RAN-$((6*7))\n"

// The review's RCE: `cgi .cgi /bin/sh;` at server level, an upload
// location under it, then GET /up/evil.cgi ran the upload. The upload
// location no longer inherits cgi, and no upload may be stored under a
// name any cgi of the server could run, whatever its case; an upload
// store inside the root of a `location ~* \.php$` is covered too.
func TestUploadNeverRuns(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, `
server {
    listen 127.0.0.1:$PORT0;
    root www;
    cgi .cgi /bin/sh;
    location /up/ { alias store/; upload_store store; methods GET HEAD POST PUT; }
    location /site/ { upload_store www/site; methods GET HEAD POST PUT; }
    location ~* \.php$ { cgi .php /bin/sh; }
}
`, 1, map[string]string{
		"www/site/":     "",
		"store/":        "",
		"store/old.cgi": evilScript,
	})
	c := servertest.Client()
	do := func(method, path, ctype string, body []byte) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, s.URL(0, path), bytes.NewReader(body))
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		return resp.StatusCode, b.String()
	}
	multi := func(name string) (string, []byte) {
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		fw, _ := mw.CreateFormFile("file", name)
		fw.Write([]byte(evilScript))
		mw.Close()
		return mw.FormDataContentType(), b.Bytes()
	}
	for _, tc := range []struct{ method, path, name string }{
		{"PUT", "/up/evil.cgi", ""},
		{"PUT", "/up/EVIL.Cgi", ""},
		{"POST", "/up/evil.cgi", ""},
		{"POST", "/up/", "evil.cgi"},
		{"POST", "/up/", "x.php"}, // a cgi extension of another location
		{"POST", "/site/", "x.PhP"},
		{"POST", "/site/", "x.PHP.."}, // sanitised to "x.PHP"
	} {
		ctype, body := "application/octet-stream", []byte(evilScript)
		if tc.name != "" {
			ctype, body = multi(tc.name)
		}
		if code, _ := do(tc.method, tc.path, ctype, body); code != 403 {
			t.Errorf("%s %s %q: status %d, want 403", tc.method, tc.path, tc.name, code)
		}
	}
	// Other files still upload.
	if code, _ := do("PUT", "/up/ok.txt", "text/plain", []byte("fine")); code != 201 {
		t.Errorf("PUT /up/ok.txt: status %d, want 201", code)
	}
	for _, dir := range []string{"store", "www/site"} {
		entries, _ := os.ReadDir(filepath.Join(s.Dir, dir))
		for _, e := range entries {
			if n := strings.ToLower(e.Name()); strings.HasSuffix(n, ".cgi") && n != "old.cgi" || strings.Contains(n, ".php") {
				t.Errorf("%s/%s was stored", dir, e.Name())
			}
		}
	}
	// A script that is in the store already is not run there.
	if code, body := do("GET", "/up/old.cgi", "", nil); strings.Contains(body, "RAN-42") {
		t.Errorf("GET /up/old.cgi: %d, the upload ran: %q", code, body)
	}
}
