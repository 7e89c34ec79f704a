package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"webserv/internal/servertest/wait"
)

// Operations through the real binary and real signals: SIGHUP reload,
// SIGTERM drain, SIGUSR1 log reopening, reuseport across processes.

const ioTimeout = 10 * time.Second

// waitFor polls cond (wait.Until) until it holds, failing the test after
// timeout.
func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	wait.Until(t, timeout, func() error {
		if !cond() {
			return fmt.Errorf("waiting for %s", what)
		}
		return nil
	})
}

func fileContains(path, s string) bool {
	b, _ := os.ReadFile(path)
	return strings.Contains(string(b), s)
}

func fetch(c *http.Client, url string) (int, string, error) {
	resp, err := c.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// reloadConf is generation gen of the reload test's configuration.
func reloadConf(addr, errLog string, gen int) string {
	return fmt.Sprintf("error_log %s info;\nserver {\n    listen %s;\n    root www;\n    location / { return 200 \"gen %d\\n\"; }\n}\n", errLog, addr, gen)
}

// SIGHUP under continuous load: clients loop over keep-alive and fresh
// connections while the configuration file is rewritten and reloaded
// several times, once with a syntax error. Not one request fails, every
// good configuration takes effect, and the bad one is logged with its
// FILE:LINE:COL while the previous one keeps serving.
func TestSIGHUPReloadUnderLoad(t *testing.T) {
	t.Parallel()
	addr := freeAddr(t)
	dir := filepath.Dir(writeConf(t, ""))
	conf := filepath.Join(dir, "site.conf")
	errLog := filepath.Join(dir, "error.log")
	write := func(s string) {
		if err := os.WriteFile(conf, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(reloadConf(addr, errLog, 1))
	p := startBinary(t, addr, conf)

	var cur atomic.Int64 // the generation known to be in force
	cur.Store(1)
	var requests, failures atomic.Int64
	var firstFail atomic.Value
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 4 {
		keepAlive := w%2 == 0
		tr := &http.Transport{DisableKeepAlives: !keepAlive, MaxIdleConnsPerHost: 1}
		defer tr.CloseIdleConnections()
		client := &http.Client{Transport: tr, Timeout: ioTimeout}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				min := cur.Load()
				code, body, err := fetch(client, "http://"+addr+"/")
				requests.Add(1)
				var gen int64
				if err == nil {
					_, err = fmt.Sscanf(body, "gen %d\n", &gen)
				}
				if err != nil || code != 200 || gen < min {
					failures.Add(1)
					firstFail.CompareAndSwap(nil, fmt.Sprintf("keepalive=%v: %d %q %v (want gen >= %d)", keepAlive, code, body, err, min))
				}
			}
		}()
	}

	// Waits until a fresh request sees gen: the reload took effect.
	sees := func(gen int) func() bool {
		return func() bool {
			_, body, err := fetch(&http.Client{Timeout: ioTimeout}, "http://"+addr+"/")
			return err == nil && body == fmt.Sprintf("gen %d\n", gen)
		}
	}
	start := time.Now()
	gen := 1
	for i := 0; i < 6 || time.Since(start) < 3*time.Second; i++ {
		if i == 3 {
			// A broken file: logged with its position, gen stays.
			write("server {\n    listen " + addr + ";\n    rooot www;\n}\n")
			if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "the bad configuration to be logged", ioTimeout, func() bool { return fileContains(errLog, conf+`:3:5: unknown directive \"rooot\"`) })
			if code, body, err := fetch(&http.Client{Timeout: ioTimeout}, "http://"+addr+"/"); err != nil || code != 200 || body != fmt.Sprintf("gen %d\n", gen) {
				t.Errorf("after a bad reload: %d %q %v, want the old gen %d", code, body, err, gen)
			}
			continue
		}
		gen++
		write(reloadConf(addr, errLog, gen))
		if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		waitFor(t, fmt.Sprintf("gen %d to take effect", gen), ioTimeout, sees(gen))
		cur.Store(int64(gen))
	}
	close(stop)
	wg.Wait()
	t.Logf("SIGHUP under load: %d requests, %d failures, %d reloads (one of them refused)", requests.Load(), failures.Load(), gen)
	if failures.Load() != 0 {
		t.Errorf("%d of %d requests failed; first: %v", failures.Load(), requests.Load(), firstFail.Load())
	}
	if requests.Load() < 500 {
		t.Errorf("only %d requests: the server was not under load", requests.Load())
	}
	if b, _ := os.ReadFile(errLog); strings.Count(string(b), "configuration reloaded") != gen-1 {
		t.Errorf("error log: want %d reloads logged:\n%s", gen-1, b)
	}
}

// SIGTERM while a slow CGI program runs and an upload is half sent: the
// idle keep-alive connection is closed at once, no new connection is
// accepted, both requests complete, and the process exits 0.
func TestSIGTERMDrainsCGIAndUpload(t *testing.T) {
	t.Parallel()
	addr := freeAddr(t)
	p := writeConf(t, `
shutdown_timeout 30s;
server {
    listen `+addr+`;
    root www;
    location /slow/ { cgi .sh sh; }
    location /up/ { methods GET PUT; upload_store uploads; }
    location = /status { status; }
}
`)
	dir := filepath.Dir(p)
	os.MkdirAll(filepath.Join(dir, "uploads"), 0o755)
	os.MkdirAll(filepath.Join(dir, "www", "slow"), 0o755)
	os.WriteFile(filepath.Join(dir, "www", "slow", "sleep.sh"), []byte("sleep 3\nprintf 'Content-Type: text/plain\\r\\n\\r\\nslept\\n'\n"), 0o644)
	srv := startBinary(t, addr, p)
	dial := func() (net.Conn, *bufio.Reader) {
		c, err := net.DialTimeout("tcp", addr, ioTimeout)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(3 * ioTimeout))
		t.Cleanup(func() { c.Close() })
		return c, bufio.NewReader(c)
	}

	// An idle keep-alive connection.
	idle, idleR := dial()
	io.WriteString(idle, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	if r, err := http.ReadResponse(idleR, nil); err != nil || r.StatusCode != 200 {
		t.Fatalf("keep-alive request: %v", err)
	} else {
		io.Copy(io.Discard, r.Body)
		r.Body.Close()
	}

	// A slow CGI request.
	cgiDone := make(chan string, 1)
	cgiConn, cgiR := dial()
	io.WriteString(cgiConn, "GET /slow/sleep.sh HTTP/1.1\r\nHost: x\r\n\r\n")
	go func() {
		r, err := http.ReadResponse(cgiR, nil)
		if err != nil {
			cgiDone <- err.Error()
			return
		}
		b, _ := io.ReadAll(r.Body)
		cgiDone <- fmt.Sprint(r.StatusCode, " ", string(b))
	}()

	// An upload with half its body sent.
	up, upR := dial()
	io.WriteString(up, "PUT /up/file.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n01234")

	// Both are in the server's hands: the CGI program runs, and the
	// upload's connection is active (with the status request itself).
	metric := regexp.MustCompile(`(?m)^(webserv_cgi_running|webserv_connections_active) (\d+)$`)
	waitFor(t, "the CGI program and the upload to be in flight", ioTimeout, func() bool {
		_, body, err := fetch(&http.Client{Timeout: ioTimeout, Transport: &http.Transport{DisableKeepAlives: true}}, "http://"+addr+"/status")
		if err != nil {
			return false
		}
		got := map[string]string{}
		for _, m := range metric.FindAllStringSubmatch(body, -1) {
			got[m[1]] = m[2]
		}
		return got["webserv_cgi_running"] == "1" && got["webserv_connections_active"] == "3"
	})

	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// The idle connection is closed promptly, while the CGI program
	// still sleeps.
	idle.SetReadDeadline(time.Now().Add(ioTimeout))
	if n, err := idleR.ReadByte(); err == nil {
		t.Errorf("idle connection got a byte %q after SIGTERM, want it closed", n)
	} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("idle connection still open %v after SIGTERM", ioTimeout)
	}
	select {
	case got := <-cgiDone:
		t.Fatalf("CGI answered (%s) before the idle connection was closed", got)
	default:
	}
	// No new connection is accepted.
	waitFor(t, "the listener to close", ioTimeout, func() bool {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
		}
		return err != nil
	})

	// The upload completes.
	io.WriteString(up, "56789")
	r, err := http.ReadResponse(upR, nil)
	if err != nil {
		t.Fatalf("upload after SIGTERM: %v", err)
	}
	r.Body.Close()
	if r.StatusCode != 201 && r.StatusCode != 204 {
		t.Errorf("upload: got %d, want 201 or 204", r.StatusCode)
	}
	var stored []string
	filepath.WalkDir(filepath.Join(dir, "uploads"), func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := os.ReadFile(path)
			stored = append(stored, string(b))
		}
		return nil
	})
	if len(stored) != 1 || stored[0] != "0123456789" {
		t.Errorf("uploaded files: %q, want one with 0123456789", stored)
	}
	// The CGI program completes.
	select {
	case got := <-cgiDone:
		if got != "200 slept\n" {
			t.Errorf("CGI after SIGTERM: got %q", got)
		}
	case <-time.After(2 * ioTimeout):
		t.Fatal("CGI request not answered")
	}
	select {
	case <-srv.exited:
		if srv.waitErr != nil {
			t.Errorf("exit: %v, want status 0", srv.waitErr)
		}
	case <-time.After(ioTimeout):
		t.Fatal("server did not exit after the drain")
	}
}

// SIGUSR1 reopens the access log and a file error log (logrotate's
// convention: rename, signal, the server writes to new files).
func TestSIGUSR1ReopensLogs(t *testing.T) {
	t.Parallel()
	addr := freeAddr(t)
	p := writeConf(t, "")
	dir := filepath.Dir(p)
	access, errLog := filepath.Join(dir, "access.log"), filepath.Join(dir, "error.log")
	os.WriteFile(p, []byte("error_log "+errLog+" info;\nserver {\n    listen "+addr+";\n    root www;\n    access_log "+access+";\n}\n"), 0o644)
	srv := startBinary(t, addr, p)
	client := &http.Client{Timeout: ioTimeout}
	if _, _, err := fetch(client, "http://"+addr+"/"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the first access log line", ioTimeout, func() bool { return fileContains(access, `"GET / HTTP/1.1" 200 15`) })
	for _, f := range []string{access, errLog} {
		if err := os.Rename(f, f+".1"); err != nil {
			t.Fatal(err)
		}
	}
	if err := srv.cmd.Process.Signal(syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the new error log", ioTimeout, func() bool { return fileContains(errLog, "logs reopened") })
	if _, _, err := fetch(client, "http://"+addr+"/index.html"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the new access log", ioTimeout, func() bool { return fileContains(access, `"GET /index.html HTTP/1.1" 200 15`) })
	if fileContains(access+".1", "/index.html") || fileContains(access, `"GET / HTTP/1.1"`) {
		t.Errorf("lines in the wrong file after reopening")
	}
}

// Two server processes with reuseport share a port, and both receive
// connections.
func TestReusePortTwoProcesses(t *testing.T) {
	t.Parallel()
	addr := freeAddr(t)
	var procs []*proc
	for i := range 2 {
		p := writeConf(t, fmt.Sprintf("server {\n    listen %s reuseport;\n    location / { return 200 \"process %d\"; }\n}\n", addr, i))
		os.MkdirAll(filepath.Join(filepath.Dir(p), "html"), 0o755)
		procs = append(procs, startBinary(t, addr, p))
	}
	client := &http.Client{Timeout: ioTimeout, Transport: &http.Transport{DisableKeepAlives: true}}
	seen := map[string]int{}
	n := 0
	wait.Until(t, 2*ioTimeout, func() error {
		for i, p := range procs {
			select {
			case <-p.exited:
				t.Fatalf("process %d exited: %s", i, p.stderr.String())
			default:
			}
		}
		code, body, err := fetch(client, "http://"+addr+"/")
		if err != nil || code != 200 {
			t.Fatalf("request %d: %d %v", n, code, err)
		}
		n++
		seen[body]++
		if seen["process 0"] == 0 || seen["process 1"] == 0 {
			return fmt.Errorf("connections went to %v, want both processes", seen)
		}
		return nil
	})
	t.Logf("connections per process: %v", seen)
}

// -t loads certificates, as nginx -t does: a file that is not PEM fails
// the check with the server's position.
func TestCheckConfigCertificate(t *testing.T) {
	t.Parallel()
	p := writeConf(t, "server {\n    listen 127.0.0.1:8443 ssl;\n    root www;\n    ssl_certificate bad.crt;\n    ssl_certificate_key bad.key;\n}\n")
	dir := filepath.Dir(p)
	os.WriteFile(filepath.Join(dir, "bad.crt"), []byte("not a certificate"), 0o644)
	os.WriteFile(filepath.Join(dir, "bad.key"), []byte("not a key"), 0o644)
	out, errOut, code := runBinary(t, "-t", p)
	if code != 1 || out != "" || !strings.HasPrefix(errOut, p+":1:1: ssl_certificate ") {
		t.Errorf("got exit %d stdout %q stderr %q, want 1 and %s:1:1: ssl_certificate ...", code, out, errOut, p)
	}
}
