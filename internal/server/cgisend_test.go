package server_test

import (
	"bytes"
	"log/slog"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"webserv/internal/server"
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

// script is a CGI program for `cgi .php /bin/sh`: run, it answers
// "RAN-42"; sent as a file, its body holds "SECRET-SOURCE".
const script = "echo 'Content-Type: text/plain'; echo; echo RAN-$((6*7)) # SECRET-SOURCE\n"

// The review's source disclosures (issue 14, item 2): every way a request
// can reach a CGI script as a file — try_files, an index served through
// another location, an @name error page or try_files fallback, an
// error_page URI, a name in another case — either runs it or refuses it;
// HEAD and Range too. No response carries the source.
func TestScriptNeverSent(t *testing.T) {
	t.Parallel()
	type req struct {
		method, path, rng string
		status            int
		ran               bool // the script ran (its output, not its source)
	}
	files := map[string]string{
		"www/a.php":         script,
		"www/A.PHP":         script,
		"www/ERR.PHP":       script,
		"www/index.php":     script,
		"www/sub/index.php": script,
		"www/pages/e.php":   script,
		"www/b.txt":         "plain",
		"www/cache/":        "",
	}
	const head = "server {\n    listen 127.0.0.1:$PORT0;\n    root www;\n"
	for _, tc := range []struct {
		name string
		conf string
		reqs []req
	}{
		{"try_files lands on a script", `
    location / { try_files $uri $uri.php $uri/ =404; }
    location ~ \.php$ { cgi .php /bin/sh; }`, []req{
			{"GET", "/a", "", 200, true},
			{"HEAD", "/a", "", 200, true},
			{"GET", "/a", "bytes=0-5", 200, true},
			{"GET", "/b.txt", "", 200, false},
		}},
		{"index through an exact or longer prefix location", `
    index index.php;
    location / { }
    location = /index.php { cgi .php /bin/sh; }
    location /sub/index.php { cgi .php /bin/sh; }`, []req{
			{"GET", "/", "", 200, true},
			{"HEAD", "/", "", 200, true},
			{"GET", "/sub/", "bytes=0-5", 200, true},
		}},
		{"@name error page", `
    error_page 403 404 405 @nf;
    location ~ \.php$ { cgi .php /bin/sh; }
    location @nf { root www; }`, []req{
			{"POST", "/a.php", "", 405, false},
			{"DELETE", "/a.php", "", 405, false},
		}},
		{"@name try_files fallback", `
    location ~ \.php$ { try_files /cache$uri @nf; cgi .php /bin/sh; }
    location @nf { root www; }`, []req{
			{"GET", "/a.php", "", 403, false},
			{"HEAD", "/a.php", "", 403, false},
			{"GET", "/a.php", "bytes=0-5", 403, false},
		}},
		{"error_page to a script in another case", `
    location / { error_page 404 /ERR.PHP; }
    location ~* \.php$ { cgi .php /bin/sh; }`, []req{
			{"GET", "/missing", "", 404, true},
		}},
		{"error_page to a script of the location, routed elsewhere", `
    location /app/ { cgi .php /bin/sh; error_page 404 /pages/e.php; }
    location /pages/ { }`, []req{
			{"GET", "/app/missing", "", 404, false},
		}},
		{"name in another case", `
    location ~* \.php$ { cgi .php /bin/sh; }`, []req{
			{"GET", "/A.PHP", "", 200, true},
			{"HEAD", "/A.PHP", "", 200, true},
			{"GET", "/A.PHP", "bytes=0-5", 200, true},
			{"GET", "/b.txt", "bytes=0-1", 206, false},
		}},
		{"prefix location, name in another case", `
    location / { cgi .php /bin/sh; }`, []req{
			{"GET", "/A.PHP", "", 200, true},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := servertest.Start(t, head+tc.conf+"\n}\n", 1, files)
			c := servertest.Client()
			for _, r := range tc.reqs {
				hr, _ := http.NewRequest(r.method, s.URL(0, r.path), nil)
				if r.rng != "" {
					hr.Header.Set("Range", r.rng)
				}
				resp, err := c.Do(hr)
				if err != nil {
					t.Fatalf("%s %s: %v", r.method, r.path, err)
				}
				var b bytes.Buffer
				b.ReadFrom(resp.Body)
				resp.Body.Close()
				body, ctype := b.String(), resp.Header.Get("Content-Type")
				what := r.method + " " + r.path + " " + r.rng
				if resp.StatusCode != r.status {
					t.Errorf("%s: status %d, want %d", what, resp.StatusCode, r.status)
				}
				if strings.Contains(body, "SECRET-SOURCE") || strings.Contains(body, "echo") || ctype == "application/octet-stream" {
					t.Errorf("%s: the script was sent: %s %q", what, ctype, body)
				}
				switch {
				case r.ran && r.method == "HEAD" && ctype != "text/plain":
					t.Errorf("%s: Content-Type %q, want the script's text/plain", what, ctype)
				case r.ran && r.method != "HEAD" && body != "RAN-42\n":
					t.Errorf("%s: body %q, want the script's output", what, body)
				}
			}
		})
	}
}

// The check before sending costs a plain file nothing in a server with
// cgi either: its name ends in no cgi extension (alloc_test.go's budget).
func TestStaticWithCGIAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under -race")
	}
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" && runtime.GOARCH != "arm64" {
		t.Skip("the cache's stat allocates on this platform (internal/static/statz_*.go)")
	}
	s := servertest.Start(t, `
keepalive_requests 2147483647;
server {
    listen 127.0.0.1:$PORT0;
    root www;
    cgi .cgi /bin/sh;
    location ~* \.php$ { cgi .php /bin/sh; }
    location /app/ { cgi .py /bin/sh; }
}
`, 1, map[string]string{"www/1k.html": allocFile, "www/app/1k.html": allocFile}, server.CacheNew)
	s.Level.Set(slog.LevelInfo)
	for _, path := range []string{"/1k.html", "/app/1k.html"} {
		k := newKeepAliveClient(t, s, path)
		for range 10 {
			k.do(t)
		}
		if allocs := testing.AllocsPerRun(200, func() { k.do(t) }); allocs > staticAllocBudget {
			t.Errorf("%s: got %v allocations per keep-alive request, want %d", path, allocs, staticAllocBudget)
		}
	}
}

// The second review's cases: the script check is configuration-wide.
// A file uploaded through one virtual host may lie under another's root,
// and an alias (naming a file, or built from a regex's captures) reaches
// scripts under names that its own location does not run: none is sent,
// none is stored.
func TestScriptNeverSentAnyServer(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, `
server {
    listen 127.0.0.1:$PORT0;
    server_name site.test;
    root www;
    index index.html index.php;
    location ~ \.php$ { cgi .php /bin/sh; }
    location /cgi/ { cgi .sh /bin/sh; }
    location = /x { alias www/a.php; }
    location = /y.txt { alias www/cgi/s.sh; }
    location ~ ^/src/(.+)\.txt$ { alias www/$1.php; }
    location ~ ^/cap/(.*)$ { alias www/cgi/$1; }
    location ~ ^/dir/(.*)$ { alias www/$1; }
    location ^~ /s2/ { alias www/; }
}
server {
    listen 127.0.0.1:$PORT0;
    server_name upload.test;
    root www;
    location /up/ { alias www/up/; upload_store www/up; methods GET HEAD POST PUT; }
}
`, 1, map[string]string{
		"www/a.php":         evilScript,
		"www/A.PHP":         evilScript,
		"www/cgi/s.sh":      evilScript,
		"www/sub/index.php": evilScript,
		"www/up/":           "",
	})
	c := servertest.Client()
	do := func(method, host, path string, body []byte, hdr ...string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, s.URL(0, path), bytes.NewReader(body))
		req.Host = host
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatalf("%s %s%s: %v", method, host, path, err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		return resp.StatusCode, b.String()
	}
	// Uploads through upload.test, which has no cgi, of names site.test runs.
	for _, path := range []string{"/up/evil.php", "/up/evil.SH"} {
		if code, _ := do("PUT", "upload.test", path, []byte(evilScript)); code != 403 {
			t.Errorf("PUT %s on upload.test: %d, want 403", path, code)
		}
	}
	if code, body := do("GET", "site.test", "/up/evil.php", nil); code != 404 || strings.Contains(body, "RAN-") {
		t.Errorf("GET /up/evil.php on site.test: %d %q, want 404 (never stored)", code, body)
	}
	for _, tc := range []struct{ method, path string }{
		{"GET", "/x"},         // alias naming a.php, location without cgi
		{"GET", "/y.txt"},     // alias naming a .sh that /cgi/ runs
		{"GET", "/src/a.txt"}, // regex alias: captures build a.php
		{"HEAD", "/src/a.txt"},
		{"GET", "/cap/s.sh"},  // regex alias into the cgi directory
		{"GET", "/dir/A.PHP"}, // case
		{"GET", "/dir/sub/"},  // regex alias to a directory: its index.php
		{"GET", "/s2/a.php"},  // ^~ alias over the root
	} {
		code, body := do(tc.method, "site.test", tc.path, nil, "Range", "bytes=0-10")
		if code == 200 || code == 206 || strings.Contains(body, "RAN-$") {
			t.Errorf("%s %s: %d %q: a script was sent", tc.method, tc.path, code, body)
		}
	}
	// What the cgi locations run still runs.
	if code, body := do("GET", "site.test", "/a.php", nil); code != 200 || !strings.Contains(body, "RAN-42") {
		t.Errorf("GET /a.php: %d %q, want the script's output", code, body)
	}
}
