package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/net/http2"

	"webserv/internal/servertest/wait"
)

// The tests here build the real binary and run it as a user would.

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "webserv-bin-")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "webserv")
	out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
	if err != nil {
		os.RemoveAll(dir)
		panic("go build: " + err.Error() + "\n" + string(out))
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func runBinary(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code = cmd.ProcessState.ExitCode()
	if err != nil && code < 0 {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

func writeConf(t *testing.T, conf string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "www"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "www", "index.html"), []byte("hello from www\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "site.conf")
	if err := os.WriteFile(p, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCheckConfig(t *testing.T) {
	t.Parallel()
	good := writeConf(t, "server {\n    listen 127.0.0.1:8081;\n    root www;\n}\n")
	bad := writeConf(t, "server {\n    listen 127.0.0.1:8081;\n    rooot www;\n}\n")
	tests := []struct {
		name     string
		args     []string
		code     int
		stdout   string
		stderrRe string
	}{
		{"good -t before", []string{"-t", good}, 0, "configuration ok\n", ""},
		{"good -t after", []string{good, "-t"}, 0, "configuration ok\n", ""},
		{"good -c", []string{"-c", good, "-t"}, 0, "configuration ok\n", ""},
		{"embedded default", []string{"-t"}, 0, "configuration ok\n", ""},
		{"bad", []string{"-t", bad}, 1, "", bad + ":3:5: unknown directive \"rooot\"\n"},
		{"missing file", []string{"-t", bad + ".nope"}, 1, "", "no such file"},
		{"version", []string{"-version"}, 0, "webserv ", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := runBinary(t, tt.args...)
			if code != tt.code {
				t.Errorf("exit code: got %d, want %d (stderr %q)", code, tt.code, errOut)
			}
			if !strings.HasPrefix(out, tt.stdout) {
				t.Errorf("stdout: got %q, want prefix %q", out, tt.stdout)
			}
			if !strings.Contains(errOut, tt.stderrRe) {
				t.Errorf("stderr: got %q, want it to contain %q", errOut, tt.stderrRe)
			}
		})
	}
}

// A bad configuration is reported before any port is opened.
func TestBadConfigOpensNoPort(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	p := writeConf(t, "server {\n    listen "+addr+";\n    root www;\n    autoindex maybe;\n}\n")
	_, errOut, code := runBinary(t, p)
	if code != 1 || !strings.Contains(errOut, p+":4:15: ") {
		t.Errorf("got exit %d stderr %q, want 1 and %s:4:15: ...", code, errOut, p)
	}
}

// proc is a running server binary. exited is closed once it has been
// reaped; waitErr is cmd.Wait's result, valid after that.
type proc struct {
	cmd     *exec.Cmd
	stderr  *strings.Builder
	exited  chan struct{}
	waitErr error
}

// startBinary runs the server with args and waits until addr accepts
// connections. The process is stopped when the test ends.
func startBinary(t *testing.T, addr string, args ...string) *proc {
	t.Helper()
	return startCmd(t, addr, exec.Command(binary, args...))
}

// startCmd is startBinary for a command prepared by the caller.
func startCmd(t *testing.T, addr string, cmd *exec.Cmd) *proc {
	t.Helper()
	var errb strings.Builder
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, stderr: &errb, exited: make(chan struct{})}
	exited := p.exited
	go func() { p.waitErr = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	err := wait.Poll(10*time.Second, func() error {
		select {
		case <-exited:
			return errors.New("server exited")
		default:
		}
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return fmt.Errorf("server did not start listening on %s: %w", addr, err)
		}
		c.Close()
		return nil
	})
	if err != nil {
		t.Fatalf("%v: %s", err, errb.String())
	}
	return p
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// The server serves a configuration file, and SIGTERM stops it gracefully
// with exit code 0, letting a request in flight finish.
func TestServeAndGracefulStop(t *testing.T) {
	t.Parallel()
	addr := freeAddr(t)
	p := writeConf(t, "server {\n    listen "+addr+";\n    root www;\n    location = /metrics { status; }\n}\n")
	srv := startBinary(t, addr, p)

	// No keep-alive: the status page's connection counts (below) then
	// see only the connections the test means them to.
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Get("http://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "hello from www\n" {
		t.Fatalf("got %d %q", resp.StatusCode, body)
	}

	// A request in flight: the head is sent but not finished when SIGTERM
	// arrives; the server must still answer it, then exit 0. The status
	// page tells when the server has the connection in service: it counts
	// as active, as does the status request's own (a connection is only
	// ever counted waiting while it has nothing to read, and this one has
	// its bytes there before it is accepted). The first connection must be
	// gone before, so that it is not the one counted.
	gauge := func(name string) (int, error) {
		resp, err := client.Get("http://" + addr + "/metrics")
		if err != nil {
			return 0, err
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return 0, err
		}
		for line := range strings.Lines(string(b)) {
			if v, ok := strings.CutPrefix(line, name+" "); ok {
				return strconv.Atoi(strings.TrimSpace(v))
			}
		}
		return 0, fmt.Errorf("no %s in the status page:\n%s", name, b)
	}
	waitGauge := func(name string, want int) {
		t.Helper()
		wait.Until(t, 10*time.Second, func() error {
			n, err := gauge(name)
			if err == nil && n != want {
				err = fmt.Errorf("%s %d, want %d", name, n, want)
			}
			return err
		})
	}
	waitGauge("webserv_connections_open", 1)
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n")
	br := bufio.NewReader(c)
	waitGauge("webserv_connections_active", 2)
	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	io.WriteString(c, "\r\n")
	r, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("in-flight request not answered: %v", err)
	}
	r.Body.Close()
	if r.StatusCode != 200 {
		t.Errorf("in-flight request: got %d", r.StatusCode)
	}
	select {
	case <-srv.exited:
		if srv.waitErr != nil {
			t.Errorf("exit: %v, want status 0; stderr:\n%s", srv.waitErr, srv.stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("server did not exit after SIGTERM")
	}
}

// With no argument the embedded demo site is served on 127.0.0.1:8080
// (skipped when something else holds that port).
func TestEmbeddedDefault(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:8080")
	if err != nil {
		t.Skipf("127.0.0.1:8080 is in use: %v", err)
	}
	ln.Close()
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	startBinary(t, "127.0.0.1:8080")
	client := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, tc := range []struct {
		path, want string
		status     int
	}{
		{"/", "webserv is running", 200},
		{"/files/", "Index of /files/", 200},
		{"/no-such-page", "custom 404 page", 404},
		{"/hello", "Hello from webserv!", 200},
		{"/old-home", "", 301},
	} {
		resp, err := client.Get("http://127.0.0.1:8080" + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || !strings.Contains(string(body), tc.want) {
			t.Errorf("%s: got %d %.80q, want %d containing %q", tc.path, resp.StatusCode, body, tc.status, tc.want)
		}
	}
	// The demo answers HTTP/2 with prior knowledge too (http2 on;), as
	// `curl --http2-prior-knowledge` asks.
	h2c := &http.Client{Timeout: 10 * time.Second, Transport: &http2.Transport{
		AllowHTTP: true,
		DialTLSContext: func(ctx context.Context, network, addr string, _ *tls.Config) (net.Conn, error) {
			return (&net.Dialer{Timeout: 10 * time.Second}).DialContext(ctx, network, addr)
		},
	}}
	resp, err := h2c.Get("http://127.0.0.1:8080/")
	if err != nil {
		t.Fatalf("h2c: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.ProtoMajor != 2 || resp.StatusCode != 200 || !strings.Contains(string(body), "webserv is running") {
		t.Errorf("h2c /: got %s %d %.80q", resp.Proto, resp.StatusCode, body)
	}
}

// An access_log the server could not open fails -t and startup alike, at
// the directive's FILE:LINE:COL (SPEC §1), before any port is opened.
func TestAccessLogChecked(t *testing.T) {
	t.Parallel()
	addr := freeAddr(t)
	for _, tc := range []struct{ name, log, want string }{
		{"directory", "www", `:3:16: access_log "`},
		{"missing directory", "nodir/a.log", `:3:16: access_log "`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := writeConf(t, "server {\n    listen "+addr+";\n    access_log "+tc.log+";\n    root www;\n}\n")
			for _, args := range [][]string{{"-t", p}, {p}} {
				_, errOut, code := runBinary(t, args...)
				if code != 1 || !strings.HasPrefix(startupError(errOut), p+tc.want) {
					t.Errorf("%q: got exit %d stderr %q, want 1 and %s%s...", args, code, errOut, p, tc.want)
				}
			}
		})
	}
}

// A root or alias the server cannot enter or read fails -t and startup
// at the directive's FILE:LINE:COL (SPEC §1), instead of passing and then
// answering 403 to everything. access(2) grants root everything, so as
// root the binary runs as nobody (setpriv); as another user the paths
// are made mode 000.
func TestUnreadableRoot(t *testing.T) {
	t.Parallel()
	var wrap []string
	private := os.FileMode(0o700) // owned by root, nobody is "other"
	if os.Geteuid() == 0 {
		sp, err := exec.LookPath("setpriv")
		if err != nil {
			t.Skip("running as root without setpriv: access(2) grants root everything (see config's TestAccessChecks)")
		}
		wrap = []string{sp, "--reuid=65534", "--regid=65534", "--clear-groups"}
	} else {
		private = 0
	}
	// A directory everyone can enter, holding a copy of the binary that
	// nobody can run (the build directory is private).
	dir, err := os.MkdirTemp("", "webserv-perm-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		os.Chmod(filepath.Join(dir, "private"), 0o755)
		os.RemoveAll(dir)
	})
	bin, err := os.ReadFile(binary)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []struct {
		name string
		data string
		mode os.FileMode
	}{
		{"webserv", string(bin), 0o755},
		{"www/index.html", "hi\n", 0o644},
		{"private/index.html", "secret\n", 0o644},
		{"private.ico", "icon", private &^ 0o100},
	} {
		p := filepath.Join(dir, f.name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(f.data), f.mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, f.mode); err != nil { // past the umask
			t.Fatal(err)
		}
	}
	for _, d := range []string{dir, filepath.Join(dir, "www")} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(filepath.Join(dir, "private"), private); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	for _, tc := range []struct{ name, body, want string }{
		{"root", "root private;", `:3:10: root "` + dir + `/private" is not accessible: permission denied`},
		{"alias directory", "root www; location /p/ { alias private; }", `:3:36: alias "` + dir + `/private" is not accessible: permission denied`},
		{"alias file", "root www; location = /favicon.ico { alias private.ico; }", `:3:47: alias "` + dir + `/private.ico" is not readable: permission denied`},
		{"access_log", "root www; access_log private/a.log;", `:3:26: access_log "` + dir + `/private/a.log": permission denied`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conf := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-")+".conf")
			if err := os.WriteFile(conf, []byte("server {\n    listen "+addr+";\n    "+tc.body+"\n}\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			for _, args := range [][]string{{"-t", conf}, {conf}} {
				cmd := append(append(append([]string(nil), wrap...), filepath.Join(dir, "webserv")), args...)
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				c := exec.CommandContext(ctx, cmd[0], cmd[1:]...)
				var stderr strings.Builder
				c.Stderr = &stderr
				c.Run()
				cancel()
				code := c.ProcessState.ExitCode()
				if code != 1 || startupError(stderr.String()) != conf+tc.want {
					t.Errorf("%q: got exit %d stderr %q, want 1 and %q", args, code, stderr.String(), conf+tc.want)
				}
			}
		})
	}
}

// startupError is the error a failed run printed on stderr: -t prints it
// alone on a line; a start prints it as the err of a log line
// (level=ERROR msg="cannot start" err="...").
func startupError(stderr string) string {
	line, _, _ := strings.Cut(stderr, "\n")
	if _, v, ok := strings.Cut(line, ` msg="cannot start" err=`); ok {
		if u, err := strconv.Unquote(v); err == nil {
			return u
		}
		return v
	}
	return line
}

// TestCheckNginxConf: -t prints each ignored directive's warning before
// "configuration ok", and every error of a wrong file, not only the first;
// startup without -t reports every error too.
func TestCheckNginxConf(t *testing.T) {
	t.Parallel()
	warn := writeConf(t, "user www-data;\nevents { worker_connections 768; }\nhttp {\n  sendfile on;\n  gzip on;\n  server { listen 127.0.0.1:8081; root www; }\n}\n")
	out, errOut, code := runBinary(t, "-t", warn)
	wantErr := warn + ":1:1: `user` is ignored: webserv runs as the user that starts it\n" +
		warn + ":2:10: `worker_connections` is ignored: use `max_connections` in the main context\n" +
		warn + ":4:3: `sendfile` is ignored: webserv always uses sendfile\n"
	if code != 0 || out != "configuration ok\n" || errOut != wantErr {
		t.Errorf("-t: exit %d\nstdout %q\nstderr:\n%s\nwant stderr:\n%s", code, out, errOut, wantErr)
	}

	bad := writeConf(t, "server {\n  listen 127.0.0.1:8081;\n  allow_methods GET;\n  location / { fastcgi_pass unix:/x; }\n  autoindex maybe;\n}\n")
	wantLines := []string{
		bad + `:3:3: unknown directive "allow_methods": use "methods GET;" (upper case)`,
		bad + `:4:16: directive "fastcgi_pass" is not supported: use "cgi .php /usr/bin/php-cgi;" (webserv runs PHP through php-cgi as CGI/1.1)`,
		bad + `:5:13: invalid value "maybe" in "autoindex" directive, it must be "on" or "off"`,
	}
	out, errOut, code = runBinary(t, "-t", bad)
	if want := strings.Join(wantLines, "\n") + "\n"; code != 1 || out != "" || errOut != want {
		t.Errorf("-t bad: exit %d\nstdout %q\nstderr:\n%s\nwant stderr:\n%s", code, out, errOut, want)
	}
	_, errOut, code = runBinary(t, bad)
	if code != 1 {
		t.Errorf("start with a bad file: exit %d, want 1", code)
	}
	for _, l := range wantLines {
		if !strings.Contains(errOut, strconv.Quote(l)) {
			t.Errorf("startup stderr lacks %q:\n%s", l, errOut)
		}
	}
}

// TestRlimitNofile: worker_rlimit_nofile sets the server's open file
// limit at startup (read back from /proc on Linux).
func TestRlimitNofile(t *testing.T) {
	t.Parallel()
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc/PID/limits")
	}
	addr := freeAddr(t)
	p := writeConf(t, "worker_rlimit_nofile 777;\nserver {\n    listen "+addr+";\n    root www;\n}\n")
	srv := startBinary(t, addr, p)
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/limits", srv.cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`(?m)^Max open files\s+(\d+)\s`)
	m := re.FindSubmatch(b)
	if m == nil || string(m[1]) != "777" {
		t.Errorf("soft open file limit %q, want 777:\n%s\nstderr:\n%s", m, b, srv.stderr.String())
	}
}
