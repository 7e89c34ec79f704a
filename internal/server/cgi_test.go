package server_test

import (
	"bytes"
	"crypto/sha256"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"webserv/internal/servertest"
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
        cgi_timeout 500ms;
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
	"www/cgi/status.sh": "#!/bin/sh\nprintf 'Status: 418 Teapot\\nContent-Type: text/plain\\n\\nshort and stout\\n'\n",
	"www/cgi/local.sh":  "#!/bin/sh\nprintf 'Location: /cgi/env.sh?from=local\\n\\n'\n",
	"www/cgi/loop.sh":   "#!/bin/sh\nprintf 'Location: /cgi/loop.sh\\n\\n'\n",
	"www/cgi/client.sh": "#!/bin/sh\nprintf 'Location: http://example.com/\\n\\n'\n",
	"www/cgi/bad.sh":    "#!/bin/sh\necho 'this is not a header'\n",
	"www/cgi/silent.sh": "#!/bin/sh\nexec sleep 30\n",
	"www/cgi/crash.sh":  "#!/bin/sh\necho oops >&2\nexit 3\n",
	"www/cgi/noexec.sh": "#!/bin/sh\necho hi\n",
	"www/cgi/dir/":      "",
	"www/cgi/php/x.txt": "",
}

func startCGI(t *testing.T) *servertest.Server {
	t.Helper()
	s := servertest.Start(t, cgiConf, 1, cgiFiles)
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
		{"silent too long", "/cgi/silent.sh", 504, "", ""},
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
