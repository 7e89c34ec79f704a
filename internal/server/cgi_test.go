package server_test

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"webserv/internal/server"
	"webserv/internal/servertest"
	"webserv/internal/servertest/wait"
)

// CGI over loopback (SPEC §5): real shell, Python and php-cgi programs.

const cgiConf = `
server {
    listen 127.0.0.1:$PORT0;
    server_name cgi.test;
    root www;
    location /cgi/ {
        cgi .sh;
        cgi .py python3;
        methods GET POST;
        client_max_body_size 20m;
        # Generous: a loaded 2-core machine starting Python can be slow.
        cgi_timeout 30s;
    }
    location /cgi/timeout/ {
        cgi .sh;
        cgi_timeout 500ms;
    }
    # Programs that run for long: only a client that goes away ends them.
    location /slow/ {
        cgi .sh;
        methods GET POST;
        cgi_timeout 60s;
    }
}
`

var cgiFiles = map[string]string{
	"www/index.html": "home",
	"www/cgi/env.sh": "#!/bin/sh\nprintf 'Content-Type: text/plain\\r\\n\\r\\n'\nenv\necho \"PWD_IS=$(pwd)\"\n",
	"www/cgi/echo.py": `import sys
data = sys.stdin.buffer.read()
sys.stdout.write("Content-Type: application/octet-stream\r\n\r\n")
sys.stdout.flush()
sys.stdout.buffer.write(data)
`,
	"www/cgi/status.sh":         "#!/bin/sh\nprintf 'Status: 418 Teapot\\nContent-Type: text/plain\\n\\nshort and stout\\n'\n",
	"www/cgi/long.sh":           "#!/bin/sh\nprintf 'Content-Type: text/plain\\n\\n'\nhead -c 100000 /dev/zero | tr '\\0' a\n",
	"www/cgi/local.sh":          "#!/bin/sh\nprintf 'Location: /cgi/env.sh?from=local\\n\\n'\n",
	"www/cgi/loop.sh":           "#!/bin/sh\nprintf 'Location: /cgi/loop.sh\\n\\n'\n",
	"www/cgi/client.sh":         "#!/bin/sh\nprintf 'Location: http://example.com/\\n\\n'\n",
	"www/cgi/bad.sh":            "#!/bin/sh\necho 'this is not a header'\n",
	"www/cgi/timeout/silent.sh": "#!/bin/sh\nexec sleep 30\n",
	"www/cgi/crash.sh":          "#!/bin/sh\necho oops >&2\nexit 3\n",
	"www/cgi/noexec.sh":         "#!/bin/sh\necho hi\n",
	"www/cgi/dir/":              "",
	// The environment exactly as execve(2) passed it (a shell adds
	// variables of its own to what `env` prints), then the body size.
	// The environment as the program was started with it (/proc, Linux),
	// else env, which adds what the shell exports (PWD...):
	// TestCGIMetaVariables, which checks the exact set, needs Linux.
	"www/cgi/environ.sh": "#!/bin/sh\nprintf 'Content-Type: text/plain\\n\\n'\nif [ -r /proc/$$/environ ]; then tr '\\0' '\\n' < /proc/$$/environ; else env; fi\necho ----\nwc -c\n",
	"www/cgi/php/x.txt":  "",
	// Echoes as it reads, 64 KiB at a time: its output pipe fills while
	// its input is still coming, so the server must pump both at once.
	"www/cgi/echo64k.py": `import os
os.write(1, b"Content-Type: application/octet-stream\r\n\r\n")
while True:
    b = os.read(0, 65536)
    if not b:
        break
    while b:
        b = b[os.write(1, b):]
`,
	// Writes 4 MiB before it reads a byte, then the SHA-256 of its input.
	"www/cgi/writefirst.py": `import hashlib, os, sys
out = sys.stdout.buffer
out.write(b"Content-Type: application/octet-stream\n\n" + b"x" * (4 << 20))
out.flush()
out.write(hashlib.sha256(sys.stdin.buffer.read()).hexdigest().encode())
`,
	// The four response kinds of RFC 3875 §6.2.
	"www/cgi/document.sh":  "#!/bin/sh\nprintf 'Status: 201 Created\\r\\nContent-Type: text/plain\\r\\nX-Extra: a\\r\\nX-Extra: b\\r\\nContent-Length: 6\\r\\n\\r\\ncreate'\n",
	"www/cgi/localpost.sh": "#!/bin/sh\ncat >/dev/null\nprintf 'Location: /cgi/environ.sh?from=local\\n\\n'\n",
	"www/cgi/redirdoc.sh":  "#!/bin/sh\nprintf 'Status: 301 Moved Permanently\\nLocation: http://example.com/new\\nContent-Type: text/html\\n\\n<a href=\"http://example.com/new\">moved</a>\\n'\n",
	"www/cgi/seeother.sh":  "#!/bin/sh\nprintf 'Status: 303 See Other\\r\\nLocation: /cgi/document.sh\\r\\nContent-Type: text/plain\\r\\n\\r\\nsee other\\n'\n",
	"www/cgi/docnostat.sh": "#!/bin/sh\nprintf 'Location: https://example.com/x?y=1\\nContent-Type: text/plain\\n\\nelsewhere\\n'\n",
	// Long runners with a child. Each writes its pid, which is its
	// process group id (each program leads its own group), to NAME.pgid.
	"www/slow/ticker.sh":  "#!/bin/sh\nsleep 60 &\necho $$ >ticker.tmp && mv ticker.tmp ticker.pgid\nprintf 'Content-Type: text/plain\\n\\n'\nwhile :; do echo tick; sleep 0.1; done\n",
	"www/slow/sleeper.sh": "#!/bin/sh\nsleep 60 &\necho $$ >sleeper.tmp && mv sleeper.tmp sleeper.pgid\nprintf 'Content-Type: text/plain\\n\\nfirst\\n'\nwait\necho late\n",
	"www/slow/silent.sh":  "#!/bin/sh\nsleep 60 &\necho $$ >silent.tmp && mv silent.tmp silent.pgid\nwait\n",
}

func startCGI(t *testing.T, opts ...func(*server.Server)) *servertest.Server {
	t.Helper()
	s := servertest.Start(t, cgiConf, 1, cgiFiles, opts...)
	for name := range cgiFiles {
		if strings.HasSuffix(name, ".sh") && !strings.HasSuffix(name, "noexec.sh") {
			os.Chmod(filepath.Join(s.Dir, name), 0o755)
		}
	}
	return s
}

func TestCGIEnvironment(t *testing.T) {
	s := startCGI(t)
	req, _ := http.NewRequest("GET", s.URL(0, "/cgi/env.sh/extra/path?a=1&b=%20"), nil)
	req.Host = "cgi.test"
	req.Header.Set("X-Custom", "yes")
	req.Header.Set("Proxy", "http://evil/")
	resp, err := servertest.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("got %d %s", resp.StatusCode, b)
	}
	env := string(b)
	for _, want := range []string{
		"GATEWAY_INTERFACE=CGI/1.1",
		"REQUEST_METHOD=GET",
		"SCRIPT_NAME=/cgi/env.sh",
		"PATH_INFO=/extra/path",
		"QUERY_STRING=a=1&b=%20",
		"REQUEST_URI=/cgi/env.sh/extra/path?a=1&b=%20",
		"SERVER_NAME=cgi.test",
		"SERVER_PROTOCOL=HTTP/1.1",
		"SERVER_SOFTWARE=webserv",
		"REDIRECT_STATUS=200",
		"REMOTE_ADDR=127.0.0.1",
		"HTTP_X_CUSTOM=yes",
		"SCRIPT_FILENAME=" + filepath.Join(s.Dir, "www/cgi/env.sh"),
		"DOCUMENT_ROOT=" + filepath.Join(s.Dir, "www"),
		"PWD_IS=" + filepath.Join(s.Dir, "www/cgi"),
	} {
		if !strings.Contains(env, want+"\n") {
			t.Errorf("environment lacks %s", want)
		}
	}
	if strings.Contains(env, "HTTP_PROXY") {
		t.Error("HTTP_PROXY reached the program (httpoxy)")
	}
	if t.Failed() {
		t.Logf("environment:\n%s", env)
	}
}

// A 5 MiB body goes through a Python program both ways, with
// Content-Length and chunked, and comes back intact.
func TestCGIStreamsBothWays(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 not installed (CI installs it)")
	}
	s := startCGI(t)
	data := make([]byte, 5<<20)
	for i := range data {
		data[i] = byte(i * 31)
	}
	for _, chunked := range []bool{false, true} {
		var body io.Reader = bytes.NewReader(data)
		if chunked {
			body = io.MultiReader(bytes.NewReader(data)) // unknown length: the client sends it chunked
		}
		req, _ := http.NewRequest("POST", s.URL(0, "/cgi/echo.py"), body)
		resp, err := servertest.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 || sha256.Sum256(got) != sha256.Sum256(data) {
			t.Errorf("chunked=%v: got %d, %d bytes, %v", chunked, resp.StatusCode, len(got), err)
		}
	}
}

func TestCGIResponses(t *testing.T) {
	s := startCGI(t)
	tests := []struct {
		name, path string
		status     int
		body       string
		location   string
	}{
		{"status passthrough", "/cgi/status.sh", 418, "short and stout\n", ""},
		{"local redirect", "/cgi/local.sh", 200, "QUERY_STRING=from=local", ""},
		{"local redirect loop", "/cgi/loop.sh", 500, "", ""},
		{"client redirect", "/cgi/client.sh", 302, "", "http://example.com/"},
		{"malformed header", "/cgi/bad.sh", 502, "", ""},
		{"exit without output", "/cgi/crash.sh", 502, "", ""},
		{"silent too long", "/cgi/timeout/silent.sh", 504, "", ""},
		{"missing script", "/cgi/nope.sh", 404, "", ""},
		{"missing script with path info", "/cgi/nope.sh/x", 404, "", ""},
		{"not executable", "/cgi/noexec.sh", 403, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := do(t, "GET", s.URL(0, tt.path))
			if resp.StatusCode != tt.status {
				t.Fatalf("got %d %q, want %d", resp.StatusCode, body, tt.status)
			}
			if tt.body != "" && !strings.Contains(string(body), tt.body) {
				t.Errorf("body %q lacks %q", body, tt.body)
			}
			if tt.location != "" && resp.Header.Get("Location") != tt.location {
				t.Errorf("Location %q, want %q", resp.Header.Get("Location"), tt.location)
			}
		})
	}
	if log := s.Log.String(); !strings.Contains(log, "oops") {
		t.Errorf("the program's stderr is not in the error log:\n%s", log)
	}
	// The server still serves after all that.
	if resp, body := do(t, "GET", s.URL(0, "/")); resp.StatusCode != 200 || string(body) != "home" {
		t.Errorf("after the CGI failures: %d %q", resp.StatusCode, body)
	}
}

// Real php-cgi, as a PHP site runs it: an index.php served for its
// directory, with the query string.
func TestPHP(t *testing.T) {
	php, err := exec.LookPath("php-cgi")
	if err != nil {
		t.Skip("php-cgi not installed (CI installs it: apt-get install php-cgi)")
	}
	conf := `
server {
    listen 127.0.0.1:$PORT0;
    root www;
    index index.php index.html;
    cgi .php ` + php + `;
    methods GET POST;
}
`
	s := servertest.Start(t, conf, 1, map[string]string{
		"www/index.php": `<?php header("X-Powered: test"); echo "hello " . htmlspecialchars($_GET["name"] ?? "nobody") . " via " . $_SERVER["REQUEST_METHOD"]; ?>`,
		"www/form.php":  `<?php echo "posted " . $_POST["a"] . "+" . $_POST["b"]; ?>`,
	})
	resp, body := do(t, "GET", s.URL(0, "/?name=php"))
	if resp.StatusCode != 200 || string(body) != "hello php via GET" || resp.Header.Get("X-Powered") != "test" {
		t.Errorf("index.php: got %d %q X-Powered=%q", resp.StatusCode, body, resp.Header.Get("X-Powered"))
	}
	resp, b := doBody(t, "POST", s.URL(0, "/form.php"), "a=1&b=2", "Content-Type", "application/x-www-form-urlencoded")
	if resp.StatusCode != 200 || string(b) != "posted 1+2" {
		t.Errorf("form.php: got %d %q", resp.StatusCode, b)
	}
}

// After every kind of CGI exchange — normal, redirected, failed, timed
// out, abandoned by its client — the server process holds no zombie, no
// child at all, and no descriptor it did not hold before (SPEC §5). It
// runs its own battery, so it holds in any test order; placed last in
// the last CGI file, it also runs after all the other CGI tests, and the
// child and zombie checks are not relative to a baseline.
func TestCGINoLeaks(t *testing.T) {
	if _, err := os.Stat("/proc/self/fd"); err != nil {
		t.Skip("no /proc")
	}
	s := startCGI(t)
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: servertest.IOTimeout, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse // never to example.com
	}}
	python := true
	if _, err := exec.LookPath("python3"); err != nil {
		python = false
	}
	type exchange struct {
		method, path, body string
		status             int
	}
	battery := []exchange{
		{"GET", "/cgi/environ.sh/p?q", "", 200},
		{"POST", "/cgi/environ.sh", "a=1", 200},
		{"GET", "/cgi/document.sh", "", 201},
		{"POST", "/cgi/localpost.sh", "x", 200},
		{"GET", "/cgi/loop.sh", "", 500},
		{"GET", "/cgi/client.sh", "", 302},
		{"GET", "/cgi/redirdoc.sh", "", 301},
		{"GET", "/cgi/bad.sh", "", 502},
		{"GET", "/cgi/crash.sh", "", 502},
		{"GET", "/cgi/timeout/silent.sh", "", 504},
		{"GET", "/cgi/nope.sh", "", 404},
		{"GET", "/cgi/noexec.sh", "", 403},
	}
	if python {
		battery = append(battery, exchange{"POST", "/cgi/echo64k.py", strings.Repeat("0123456789abcdef", 64<<10), 200})
	}
	run := func(t *testing.T, e exchange) {
		var body io.Reader
		if e.body != "" {
			body = strings.NewReader(e.body)
		}
		req, _ := http.NewRequest(e.method, s.URL(0, e.path), body)
		req.Host = "cgi.test"
		resp, err := client.Do(req)
		if err != nil {
			t.Errorf("%s %s: %v", e.method, e.path, err)
			return
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != e.status || e.path == "/cgi/echo64k.py" && string(b) != e.body {
			t.Errorf("%s %s: got %d (%d bytes, %v), want %d", e.method, e.path, resp.StatusCode, len(b), err, e.status)
		}
	}
	// leave starts a long-running program and goes away once it runs.
	leave := func(t *testing.T, script string) {
		pgidFile := filepath.Join(s.Dir, "www/slow", script+".pgid")
		os.Remove(pgidFile)
		c := s.Dial(t, 0)
		io.WriteString(c, "GET /slow/"+script+".sh HTTP/1.1\r\nHost: cgi.test\r\n\r\n")
		if err := wait.Poll(servertest.IOTimeout, func() error {
			_, err := os.Stat(pgidFile)
			return err
		}); err != nil {
			t.Errorf("%s did not start: %v", script, err)
		}
		c.Close()
	}

	// Warm up (lazily opened runtime descriptors, the first exec), then
	// take the baseline with no client connection open.
	run(t, battery[0])
	tr.CloseIdleConnections()
	base := settledFDs(t)
	// An *os.File dropped without Close is closed by its finalizer, some
	// time later: with the collector off, only explicit closes count.
	defer debug.SetGCPercent(debug.SetGCPercent(-1))

	t.Run("sequential", func(t *testing.T) {
		for _, e := range battery {
			run(t, e)
		}
		leave(t, "ticker")
		leave(t, "silent")
	})
	t.Run("concurrent", func(t *testing.T) {
		var wg sync.WaitGroup
		for _, e := range battery {
			wg.Go(func() { run(t, e) })
		}
		wg.Wait()
	})
	tr.CloseIdleConnections()

	me := os.Getpid()
	poll(t, "children", func() string {
		var kids []string
		for _, p := range scanProcs() {
			if p.ppid == me {
				kids = append(kids, fmt.Sprintf("%d (state %c)", p.pid, p.state))
			}
		}
		if len(kids) > 0 {
			return "children still there (Z: zombie): " + strings.Join(kids, ", ")
		}
		return ""
	})
	poll(t, "descriptors", func() string {
		var extra []string
		for fd, target := range openFDs(t) {
			if base[fd] != target {
				extra = append(extra, fmt.Sprintf("%d -> %s", fd, target))
			}
		}
		if len(extra) > 0 {
			slices.Sort(extra)
			return "not in the baseline: " + strings.Join(extra, ", ")
		}
		return ""
	})
}

// openFDs maps each open descriptor of this process to what it refers to
// (readlink of /proc/self/fd/N: "pipe:[123]", "socket:[456]", a path).
func openFDs(t *testing.T) map[int]string {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	m := make(map[int]string, len(ents))
	for _, e := range ents {
		fd, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		// The descriptor ReadDir itself used is gone by now.
		if target, err := os.Readlink("/proc/self/fd/" + e.Name()); err == nil {
			m[fd] = target
		}
	}
	return m
}

// settledFDs returns the open descriptors once two looks in a row agree
// (connections of earlier tests winding down), or after a few tries. The
// pause between two looks is the window over which the set must hold
// still: not a wait for a condition that could be polled for.
func settledFDs(t *testing.T) map[int]string {
	t.Helper()
	prev := openFDs(t)
	for range 50 {
		pollPause()
		cur := openFDs(t)
		if maps.Equal(cur, prev) {
			return cur
		}
		prev = cur
	}
	return prev
}
