package main

import (
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// debianRoot writes Debian 12's stock /etc/nginx/nginx.conf, mime.types
// and sites-enabled/default (from the nginx-common package, unchanged in
// internal/config/testdata/debian) under a temporary root, with the
// absolute paths in them pointed into it and port 80 replaced by port. It
// returns the root and the nginx.conf path.
func debianRoot(t *testing.T, port string) (root, conf string) {
	t.Helper()
	root = t.TempDir()
	src := filepath.Join("..", "..", "internal", "config", "testdata", "debian")
	pairs := []string{
		"/etc/nginx/", root + "/etc/nginx/",
		"/var/www/html", root + "/var/www/html",
		"/var/log/nginx/", root + "/var/log/nginx/",
		"listen 80 ", "listen " + port + " ",
		"[::]:80 ", "[::]:" + port + " ",
	}
	repl := strings.NewReplacer(pairs...)
	for _, f := range []string{"nginx.conf", "mime.types", "sites-enabled/default"} {
		b, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(root, "etc", "nginx", f)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, []byte(repl.Replace(string(b))), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []string{"etc/nginx/conf.d", "var/www/html", "var/log/nginx"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// What the nginx package installs as the default page.
	page := "<!DOCTYPE html>\n<title>Welcome to nginx!</title>\n"
	if err := os.WriteFile(filepath.Join(root, "var/www/html/index.nginx-debian.html"), []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	return root, filepath.Join(root, "etc", "nginx", "nginx.conf")
}

// debianWarnings are what -t prints for the stock files, before
// "configuration ok".
const debianWarnings = `$C:1:1: ` + "`user`" + ` is ignored: webserv runs as the user that starts it
$C:2:1: ` + "`worker_processes`" + ` is ignored: webserv is one process that uses every CPU
$C:3:1: ` + "`pid`" + ` is ignored: webserv writes no pid file
$C:8:2: ` + "`worker_connections`" + ` is ignored: use ` + "`max_connections`" + ` in the main context
$C:18:2: ` + "`sendfile`" + ` is ignored: webserv always uses sendfile
$C:19:2: ` + "`tcp_nopush`" + ` is ignored: webserv sends each response head and body in as few packets as it can
$C:20:2: ` + "`types_hash_max_size`" + ` is ignored: webserv's tables have no size to tune
$C:33:16: ` + "`ssl_protocols TLSv1 TLSv1.1`" + ` is ignored: RFC 8996 deprecates SSL, TLS 1.0 and 1.1; webserv serves TLS 1.2 and 1.3
$C:34:2: ` + "`ssl_prefer_server_ciphers`" + ` is ignored: Go's TLS orders the cipher suites itself
`

// TestDebianStockConfig: Debian's stock nginx.conf with its default site
// loads with -t (exit 0, one warning per ignored directive), and the
// server it starts answers as nginx does: the welcome page at /, 404 for
// what is not there, a combined access log line.
func TestDebianStockConfig(t *testing.T) {
	t.Parallel()
	addr := freeAddr(t)
	_, port, _ := net.SplitHostPort(addr)
	root, conf := debianRoot(t, port)
	out, errOut, code := runBinary(t, "-t", conf)
	if want := strings.ReplaceAll(debianWarnings, "$C", conf); code != 0 || out != "configuration ok\n" || errOut != want {
		t.Fatalf("-t: exit %d, stdout %q\nstderr:\n%s\nwant:\n%s", code, out, errOut, want)
	}

	startBinary(t, "127.0.0.1:"+port, conf)
	client := &http.Client{Timeout: 10 * time.Second}
	for _, tt := range []struct {
		path   string
		status int
		body   string
	}{
		{"/", 200, "Welcome to nginx!"},
		{"/index.nginx-debian.html", 200, "Welcome to nginx!"},
		{"/missing", 404, ""},
	} {
		resp, err := client.Get("http://127.0.0.1:" + port + tt.path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.status || !strings.Contains(string(b), tt.body) {
			t.Errorf("GET %s: %d %q, want %d with %q", tt.path, resp.StatusCode, b, tt.status, tt.body)
		}
		if ct := resp.Header.Get("Content-Type"); tt.status == 200 && ct != "text/html" {
			t.Errorf("GET %s: Content-Type %q, want mime.types' text/html", tt.path, ct)
		}
	}
	// access_log /var/log/nginx/access.log: combined, written behind.
	logPath := filepath.Join(root, "var/log/nginx/access.log")
	var lines []string
	waitFor(t, "three access log lines", 10*time.Second, func() bool {
		b, _ := os.ReadFile(logPath)
		lines = strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
		return len(lines) == 3
	})
	if !strings.HasPrefix(lines[0], "127.0.0.1 - - [") || !strings.Contains(lines[0], `] "GET / HTTP/1.1" 200 `) ||
		!strings.Contains(lines[2], `] "GET /missing HTTP/1.1" 404 `) {
		t.Errorf("access log lines not in the combined format:\n%s", strings.Join(lines, "\n"))
	}
}

// copyTree copies the files below src into dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.Walk(src, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if fi.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, fi.Mode().Perm())
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestWebserv42Config: a typical 42-school webserv configuration fails -t
// with every mistake at once, each with the webserv spelling
// (internal/config/testdata/bad/webserv42.golden); after those renames
// (testdata/good/webserv42.conf) it loads and answers as nginx would.
func TestWebserv42Config(t *testing.T) {
	t.Parallel()
	src := filepath.Join("..", "..", "internal", "config", "testdata")
	bad := filepath.Join(src, "bad", "webserv42.conf")
	_, errOut, code := runBinary(t, "-t", bad)
	if code != 1 || strings.Count(errOut, "\n") != 8 || strings.Count(errOut, ": use ") != 7 {
		t.Errorf("-t before the renames: exit %d, stderr:\n%s\nwant 8 errors, 7 with a \"use\" hint", code, errOut)
	}

	dir := t.TempDir()
	copyTree(t, filepath.Join(src, "good", "fusion_web"), filepath.Join(dir, "fusion_web"))
	copyTree(t, filepath.Join(src, "good", "cgi-bin"), filepath.Join(dir, "cgi-bin"))
	b, err := os.ReadFile(filepath.Join(src, "good", "webserv42.conf"))
	if err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	conf := filepath.Join(dir, "webserv.conf")
	if err := os.WriteFile(conf, []byte(strings.Replace(string(b), "127.0.0.1:8080", addr, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, errOut, code := runBinary(t, "-t", conf); code != 0 || out != "configuration ok\n" || errOut != "" {
		t.Fatalf("-t after the renames: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	startBinary(t, addr, conf)
	client := &http.Client{
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	for _, tt := range []struct {
		method, path string
		status       int
		body         string // contained
		location     string // suffix
	}{
		{"GET", "/", 200, "fusion", ""},
		{"GET", "/tours", 301, "", "/tours/"},
		{"GET", "/tours/", 200, "tours", ""},
		{"GET", "/red", 301, "", "/tours"},
		{"GET", "/nothing", 404, "<h1>404</h1>", ""},
		{"DELETE", "/tours/tours1.html", 405, "", ""},
		{"GET", "/cgi-bin/hello.sh", 200, "hello from sh", ""},
	} {
		req, _ := http.NewRequest(tt.method, "http://"+addr+tt.path, nil)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.status || !strings.Contains(string(body), tt.body) || !strings.HasSuffix(resp.Header.Get("Location"), tt.location) {
			t.Errorf("%s %s: %d Location %q body %q, want %d %q %q", tt.method, tt.path, resp.StatusCode, resp.Header.Get("Location"), body, tt.status, tt.location, tt.body)
		}
	}
}
