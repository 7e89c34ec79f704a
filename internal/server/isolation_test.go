package server_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"webserv/internal/http1"
	"webserv/internal/server"
	"webserv/internal/servertest"
	"webserv/internal/servertest/wait"
)

// Two servers in one process (as the tests run them) share no state: what
// one does to its CGI programs, caches and descriptors never reaches the
// other's.

const isolationCGIConf = `
server {
    listen 127.0.0.1:$PORT0;
    root www;
    location /cgi/ { cgi .sh; cgi_timeout 60s; }
}
`

// wait.sh says it started, then answers once the file "go" appears next
// to it (a CGI program's working directory is its own).
var isolationCGIFiles = map[string]string{
	"www/cgi/wait.sh": "#!/bin/sh\n: > started\nwhile [ ! -e go ]; do sleep 0.01; done\nprintf 'Content-Type: text/plain\\r\\n\\r\\nstill here\\n'\n",
}

// One server's shutdown kills the CGI programs it still runs past the
// drain time, and not those of another server in the same process.
func TestShutdownKillsOnlyItsOwnCGI(t *testing.T) {
	t.Parallel()
	start := func() (*servertest.Server, *bufio.Reader) {
		s := servertest.Start(t, isolationCGIConf, 1, isolationCGIFiles)
		if err := os.Chmod(filepath.Join(s.Dir, "www/cgi/wait.sh"), 0o755); err != nil {
			t.Fatal(err)
		}
		c := s.Dial(t, 0)
		io.WriteString(c, "GET /cgi/wait.sh HTTP/1.1\r\nHost: x\r\n\r\n")
		wait.Until(t, servertest.IOTimeout, func() error {
			_, err := os.Stat(filepath.Join(s.Dir, "www/cgi/started"))
			return err
		})
		return s, bufio.NewReader(c)
	}
	a, _ := start()
	b, brB := start()

	ctx, cancel := context.WithCancel(context.Background())
	cancel() // no drain time: a's programs are killed at once
	if err := a.Srv.Shutdown(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Shutdown: %v, want the requests cut off", err)
	}
	if err := os.WriteFile(filepath.Join(b.Dir, "www/cgi/go"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if r := servertest.ReadResponse(t, brB, "GET"); r.StatusCode != 200 || string(r.Body) != "still here\n" {
		t.Errorf("the other server's program: %d %q, want 200 from a program left running", r.StatusCode, r.Body)
	}
}

// rootConf serves root with disable_symlinks on, so that the root
// directory is held open (internal/static/root.go).
func rootConf(root string) string {
	return `
server {
    listen 127.0.0.1:$PORT0;
    root ` + root + `;
    disable_symlinks on;
}
`
}

// openUnder lists the descriptors of this process that name dir or a
// path under it (/proc/self/fd; proc(5)).
func openUnder(t *testing.T, dir string) []string {
	t.Helper()
	dir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	var open []string
	for _, e := range ents {
		p, err := os.Readlink("/proc/self/fd/" + e.Name())
		if err == nil && (p == dir || strings.HasPrefix(p, dir+"/")) {
			open = append(open, p)
		}
	}
	return open
}

// A reload that changes the root retires the old root's descriptor, even
// when a request of the old configuration still in flight then serves a
// file from it: no descriptor of a retired configuration stays open, so
// reloads never accumulate them, and the server's shutdown closes the
// current one.
func TestReloadLeaksNoRootDescriptor(t *testing.T) {
	t.Parallel()
	if runtime.GOOS != "linux" {
		t.Skip("counts descriptors in /proc/self/fd")
	}
	const reloads = 4
	files := map[string]string{}
	for i := range reloads + 1 {
		files["www"+strconv.Itoa(i)+"/f.txt"] = "root " + strconv.Itoa(i)
	}
	s := servertest.Start(t, rootConf("www0"), 1, files)
	entered, release := make(chan struct{}), make(chan struct{})
	restore := server.SetTestHookServe(s.Srv, func(r *http1.Request) {
		if string(r.Query) == "slow" {
			entered <- struct{}{}
			<-release
		}
	})
	defer restore()

	c := s.Dial(t, 0)
	br := bufio.NewReader(c)
	get := func(target, want string) {
		t.Helper()
		io.WriteString(c, "GET "+target+" HTTP/1.1\r\nHost: x\r\n\r\n")
		if r := servertest.ReadResponse(t, br, "GET"); r.StatusCode != 200 || string(r.Body) != want {
			t.Fatalf("GET %s: %d %q, want %q", target, r.StatusCode, r.Body, want)
		}
	}
	get("/f.txt", "root 0")
	for i := 1; i <= reloads; i++ {
		// A request of the old configuration, held while the reload
		// retires it, then served from the old root.
		slow := s.Dial(t, 0)
		io.WriteString(slow, "GET /f.txt?slow HTTP/1.1\r\nHost: x\r\n\r\n")
		select {
		case <-entered:
		case <-time.After(servertest.IOTimeout):
			t.Fatal("request did not start")
		}
		cfg := parseConf(t, s, rootConf("www"+strconv.Itoa(i)))
		if err := s.Srv.Reload(cfg); err != nil {
			t.Fatal(err)
		}
		release <- struct{}{}
		want := fmt.Sprintf("root %d", i-1)
		if r := servertest.ReadResponse(t, bufio.NewReader(slow), "GET"); r.StatusCode != 200 || string(r.Body) != want {
			t.Fatalf("in-flight request: %d %q, want %q", r.StatusCode, r.Body, want)
		}
		slow.Close()
		get("/f.txt", fmt.Sprintf("root %d", i))
	}
	// A file a request sent may still be closing after its response
	// arrived; a root retired is closed for good or never.
	current, _ := filepath.EvalSymlinks(filepath.Join(s.Dir, "www"+strconv.Itoa(reloads)))
	wait.Until(t, servertest.IOTimeout, func() error {
		for _, p := range openUnder(t, s.Dir) {
			if p != current {
				return fmt.Errorf("open after %d reloads: %s (only the current root may be)", reloads, p)
			}
		}
		return nil
	})
	if err := s.Srv.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	wait.Until(t, servertest.IOTimeout, func() error {
		if open := openUnder(t, s.Dir); len(open) != 0 {
			return fmt.Errorf("open after shutdown: %v", open)
		}
		return nil
	})
}

// One server's reload leaves another server's small-file cache alone: a
// file the other server cached is still served from its cache, which
// costs no allocation (alloc_test.go), after each reload of the first.
func TestReloadKeepsOtherServersCache(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under -race")
	}
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" && runtime.GOARCH != "arm64" {
		t.Skip("the cache's stat allocates on this platform (internal/static/statz_*.go)")
	}
	a, b := startAllocServer(t), startAllocServer(t)
	k := newKeepAliveClient(t, b, "/1k.html")
	k.do(t) // cached by b now (at its second request)
	// A 404 on another connection of b, before each measured request:
	// it takes request state and a read buffer from their pools, whose
	// per-processor arrays a collection (the reload's) empties and the
	// next use makes again, two allocations that are not the cache's.
	warm := newKeepAliveClientStatus(t, b, "/missing", 404)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1)) // as testing.AllocsPerRun
	// The count is the process's: the goroutines of tests run before this
	// one (a connection's keepalive timer, a worker going idle) may
	// allocate during a round. An emptied cache allocates in every round,
	// so one round of five requests without an allocation settles it.
	var mallocs uint64
	for range 3 {
		mallocs = 0
		for range 5 {
			if err := a.Srv.Reload(a.Srv.Config()); err != nil {
				t.Fatal(err)
			}
			warm.do(t)
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			k.do(t)
			runtime.ReadMemStats(&after)
			mallocs += after.Mallocs - before.Mallocs
		}
		if mallocs == 0 {
			return
		}
	}
	t.Errorf("%d allocations in 5 requests of the other server after reloads, want 0: its cache was emptied", mallocs)
}
