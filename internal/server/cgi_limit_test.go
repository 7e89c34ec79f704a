package server_test

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"webserv/internal/servertest"
)

// cgi_max_processes (SPEC §5): past the bound, a request waits for a slot;
// one that frees in time runs it, else the answer is 503 with Retry-After.
// The programs block on a FIFO until the test writes to it: no sleeps.
func TestCGIMaxProcesses(t *testing.T) {
	t.Parallel()
	conf := `
cgi_max_processes 2;
server {
    listen 127.0.0.1:$PORT0;
    root www;
    location /cgi/ {
        cgi .sh;
    }
    location = /metrics { status; }
}
`
	s := servertest.Start(t, conf, 1, map[string]string{
		// Marks itself started, then waits for a line on the FIFO.
		"www/cgi/block.sh": "#!/bin/sh\n: >started.$$\nread line <release\nprintf 'Content-Type: text/plain\\n\\nreleased\\n'\n",
		"www/cgi/quick.sh": "#!/bin/sh\nprintf 'Content-Type: text/plain\\n\\nquick\\n'\n",
	})
	dir := filepath.Join(s.Dir, "www/cgi")
	for _, f := range []string{"block.sh", "quick.sh"} {
		if err := os.Chmod(filepath.Join(dir, f), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	fifo := filepath.Join(dir, "release")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}

	type result struct {
		status int
		body   string
		retry  string
	}
	fetch := func(path string) <-chan result {
		ch := make(chan result, 1)
		go func() {
			resp, err := servertest.Client().Get(s.URL(0, path))
			if err != nil {
				ch <- result{body: err.Error()}
				return
			}
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				ch <- result{body: err.Error()}
				return
			}
			ch <- result{resp.StatusCode, string(b), resp.Header.Get("Retry-After")}
		}()
		return ch
	}
	// fill starts two blocked programs, taking both slots.
	fill := func() []<-chan result {
		old, _ := filepath.Glob(filepath.Join(dir, "started.*"))
		for _, f := range old {
			os.Remove(f)
		}
		chs := []<-chan result{fetch("/cgi/block.sh"), fetch("/cgi/block.sh")}
		poll(t, "two programs started", func() string {
			if m, _ := filepath.Glob(filepath.Join(dir, "started.*")); len(m) != 2 {
				return fmt.Sprintf("%d started", len(m))
			}
			return ""
		})
		return chs
	}
	// release lets the blocked programs go: a line each (the shell reads
	// a line and no further), the FIFO held open for writing until they
	// have answered, so that a program that opens it late finds its line
	// and not a FIFO without a writer to wait on.
	release := func(chs []<-chan result) {
		f, err := os.OpenFile(fifo, os.O_WRONLY, 0) // waits for a reader
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		f.WriteString(strings.Repeat("go\n", len(chs)))
		for _, ch := range chs {
			if r := <-ch; r.status != 200 || r.body != "released\n" {
				t.Errorf("blocked program: got %d %q, want 200 \"released\\n\"", r.status, r.body)
			}
		}
	}
	metric := func(name string) string {
		resp, err := servertest.Client().Get(s.URL(0, "/metrics"))
		if err != nil {
			return err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, name+" "); ok {
				return v
			}
		}
		return "absent"
	}

	// A third request waits, and runs once a slot frees.
	blocked := fill()
	third := fetch("/cgi/quick.sh")
	poll(t, "third request waiting", func() string {
		if v := metric("webserv_cgi_waiting"); v != "1" {
			return "webserv_cgi_waiting " + v
		}
		return ""
	})
	release(blocked)
	if r := <-third; r.status != 200 || r.body != "quick\n" {
		t.Errorf("queued request: got %d %q, want 200 \"quick\\n\"", r.status, r.body)
	}

	// With both slots held past its wait, it is refused.
	blocked = fill()
	if r := <-fetch("/cgi/quick.sh"); r.status != http.StatusServiceUnavailable || r.retry == "" {
		t.Errorf("over the bound: got %d %q Retry-After %q, want 503 with Retry-After", r.status, r.body, r.retry)
	}
	if v := metric("webserv_cgi_rejected_total"); v != "1" {
		t.Errorf("webserv_cgi_rejected_total %s, want 1", v)
	}
	release(blocked)
	if r := <-fetch("/cgi/quick.sh"); r.status != 200 {
		t.Errorf("after the programs ended: got %d %q", r.status, r.body)
	}
}
