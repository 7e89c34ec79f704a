package main

import (
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"webserv/internal/config"
)

// What a new user sees: help, version, startup lines they can act on, one
// log format, each request logged, and why a request failed.

func TestHelpAndVersion(t *testing.T) {
	t.Parallel()
	for _, flag := range []string{"-h", "-help", "--help"} {
		out, errOut, code := runBinary(t, flag)
		if code != 0 || errOut != "" {
			t.Errorf("%s: exit %d, stderr %q; want 0 and nothing", flag, code, errOut)
		}
		for _, want := range []string{"usage: webserv", "-t ", "-v, -version", "SIGHUP", "SIGTERM", "SIGUSR1", "WEBSERV_LISTEN", "docs/configuration.md", "examples/"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s: stdout does not mention %q:\n%s", flag, want, out)
			}
		}
	}
	for _, flag := range []string{"-v", "-version", "--version"} {
		if out, _, code := runBinary(t, flag); code != 0 || !regexp.MustCompile(`^webserv \S+\n$`).MatchString(out) {
			t.Errorf("%s: exit %d, stdout %q; want 0 and \"webserv VERSION\"", flag, code, out)
		}
	}
	out, errOut, code := runBinary(t, "-x")
	if code != 2 || out != "" || !strings.Contains(errOut, "flag provided but not defined: -x") || !strings.Contains(errOut, "webserv -h") {
		t.Errorf("-x: exit %d, stdout %q, stderr %q; want 2, the mistake and a pointer to -h on stderr", code, out, errOut)
	}
}

func TestListenURLs(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "c.pem"), nil, 0o644)
	conf := `server { listen 8080; listen *:8081; listen 0.0.0.0:8082; listen [::]:8083; listen 127.0.0.1:8084; listen localhost:8085; listen [::1]:8086; listen 80; }
server { listen 8443 ssl; listen 443 ssl; listen 8080; ssl_certificate c.pem; ssl_certificate_key c.pem; }`
	cfg, err := config.Parse("t.conf", []byte(conf), dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range listenURLs(cfg) {
		s := l.addr + " " + l.url
		if l.every {
			s += " every"
		}
		got = append(got, s)
	}
	want := []string{
		":8080 http://127.0.0.1:8080/ every",
		":8081 http://127.0.0.1:8081/ every",
		"0.0.0.0:8082 http://127.0.0.1:8082/ every",
		"[::]:8083 http://[::1]:8083/ every",
		"127.0.0.1:8084 http://127.0.0.1:8084/",
		"localhost:8085 http://localhost:8085/",
		"[::1]:8086 http://[::1]:8086/",
		":80 http://127.0.0.1/ every",
		":8443 https://127.0.0.1:8443/ every",
		":443 https://127.0.0.1/ every",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// stopBinary sends SIGTERM and waits for the exit; the process's stderr
// is complete afterwards.
func stopBinary(t *testing.T, p *proc) string {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		t.Fatal("server did not exit after SIGTERM")
	}
	if p.waitErr != nil {
		t.Errorf("exit: %v, want status 0", p.waitErr)
	}
	return p.stderr.String()
}

var (
	slogLine     = regexp.MustCompile(`^time=\S+ level=(DEBUG|INFO|WARN|ERROR) msg=`)
	combinedLine = regexp.MustCompile(`^\S+ - - \[[^\]]+\] "[^"]*" \d{3} \d+ "[^"]*" "[^"]*"$`)
)

// The embedded demo, as `go run ./cmd/webserv` starts it (on a free port
// through WEBSERV_LISTEN): slog lines only, a URL to open, the request in
// the access log on stderr, and a last line saying it stopped drained.
func TestFirstRunOutput(t *testing.T) {
	addr := freeAddr(t)
	t.Setenv("WEBSERV_LISTEN", addr)
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	p := startBinary(t, addr)
	req, _ := http.NewRequest("GET", "http://"+addr+"/", nil)
	req.Header.Set("User-Agent", "first-run-test")
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET /: %d", resp.StatusCode)
	}
	out := stopBinary(t, p)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	access := 0
	for _, l := range lines {
		switch {
		case combinedLine.MatchString(l):
			if !strings.Contains(l, `"GET / HTTP/1.1" 200 `) || !strings.HasSuffix(l, `"first-run-test"`) {
				t.Errorf("access log line %q, want the GET / with its user agent", l)
			}
			access++
		case !slogLine.MatchString(l):
			t.Errorf("line %q is neither a log/slog line nor an access log line", l)
		}
	}
	if access != 1 {
		t.Errorf("%d access log lines, want 1", access)
	}
	for _, want := range []string{`level=INFO msg="serving the embedded demo site" dir=`, `level=INFO msg="listening on http://` + addr + `/"` + "\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("no line containing %q", want)
		}
	}
	if last := lines[len(lines)-1]; !strings.HasSuffix(last, "level=INFO msg=stopped drained=true") {
		t.Errorf("last line %q, want msg=stopped drained=true", last)
	}
	if t.Failed() {
		t.Logf("stderr:\n%s", out)
	}
}

// A wildcard listen prints a URL a browser can open, and says it listens
// on every address.
func TestWildcardListenLine(t *testing.T) {
	t.Parallel()
	addr := freeAddr(t)
	_, port, _ := net.SplitHostPort(addr)
	p := startBinary(t, addr, writeConf(t, "server {\n    listen "+port+";\n    root www;\n}\n"))
	out := stopBinary(t, p)
	want := `level=INFO msg="listening on http://127.0.0.1:` + port + `/" addr=:` + port + " every_address=true\n"
	if !strings.Contains(out, want) {
		t.Errorf("stderr:\n%s\nwant a line containing %q", out, want)
	}
}

// With error_log at debug a 404 says which file was missing; a 500 is
// logged at the default level, error.
func TestErrorLogCausesBinary(t *testing.T) {
	t.Parallel()
	addr := freeAddr(t)
	for _, level := range []string{"debug", "info"} {
		t.Run(level, func(t *testing.T) {
			conf := writeConf(t, "error_log stderr "+level+";\nserver {\n    listen "+addr+";\n    root www;\n    location = /boom { return 500; }\n}\n")
			p := startBinary(t, addr, conf)
			c := &http.Client{Timeout: 10 * time.Second}
			for _, path := range []string{"/missing.html", "/boom"} {
				resp, err := c.Get("http://" + addr + path)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
			}
			out := stopBinary(t, p)
			www := filepath.Join(filepath.Dir(conf), "www")
			notFound := `level=DEBUG msg="request failed" status=404 cause="file not found: ` + www + `/missing.html" method=GET target=/missing.html remote=127.0.0.1:`
			if got := strings.Contains(out, notFound); got != (level == "debug") {
				t.Errorf("stderr:\n%s\n404 line %q present: %v, want %v", out, notFound, got, level == "debug")
			}
			if boom := `level=ERROR msg="request failed" status=500 cause="return directive" method=GET target=/boom`; !strings.Contains(out, boom) {
				t.Errorf("stderr:\n%s\nwant a line containing %q", out, boom)
			}
		})
	}
}
