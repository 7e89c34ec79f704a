package server_test

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"webserv/internal/http1"
	"webserv/internal/servertest"
)

// A 1 GiB body streamed from a Go io.Reader (SPEC §4: bodies stream from
// the socket to disk through a fixed-size buffer; the issue: "a 10 GiB
// upload must cost the server no more memory than a 10 KiB one").
//
// Cost, measured on the 2-core development machine (shared, so it varies
// with load):
//   - TestUploadPeakRSS, the built binary (not race-instrumented) and one
//     1 GiB PUT: 10 to 16 s under -race, the build included. It runs by
//     default (skipped with -short) and is the suite's check of the 1 GiB
//     body: SHA-256 and peak RSS.
//   - TestUploadStreamed1GiB, the in-process server under -race, two
//     1 GiB PUTs (Content-Length and chunked): 29 s idle, 39 s loaded, not
//     "well under 30 s", so it only runs with WEBSERV_BIG=1.
// scripts/upload-rss.sh measures the same outside the test suite and
// prints throughput.

// bigSize is the size of the streamed upload the issue asks for.
const bigSize = 1 << 30

// rssLimitKiB is the most the server's peak RSS may grow while storing the
// 1 GiB body: the bound.
const rssLimitKiB = 16 << 10

// pattern yields n bytes: a pseudo-random block of prime length repeated,
// so that a lost, repeated or misplaced buffer changes the SHA-256. It is
// generated on the fly; no 1 GiB file is written on the sending side.
type pattern struct {
	block []byte
	off   int
	n     int64
}

func newPattern(n int64) *pattern { return &pattern{block: randomBytes(65521, 3), n: n} }

func (p *pattern) Read(b []byte) (int, error) {
	if p.n == 0 {
		return 0, io.EOF
	}
	if int64(len(b)) > p.n {
		b = b[:p.n]
	}
	total := 0
	for total < len(b) {
		c := copy(b[total:], p.block[p.off:])
		p.off = (p.off + c) % len(p.block)
		total += c
	}
	p.n -= int64(total)
	return total, nil
}

// putBig PUTs bigSize pattern bytes to url with Go's client, with
// Content-Length when length is set, else chunked (RFC 9112 §7.1), and
// returns the status and the SHA-256 of what was sent, computed while
// sending.
func putBig(t *testing.T, url string, length bool) (int, string) {
	t.Helper()
	h := sha256.New()
	req, err := http.NewRequest("PUT", url, io.NopCloser(io.TeeReader(newPattern(bigSize), h)))
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = -1
	if length {
		req.ContentLength = bigSize
	}
	c := servertest.Client()
	c.Timeout = curlTimeout
	start := time.Now()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	d := time.Since(start)
	t.Logf("%d bytes in %v, %.0f MiB/s (informational, not asserted)", bigSize, d.Round(time.Millisecond),
		float64(bigSize)/d.Seconds()/(1<<20))
	return resp.StatusCode, hex.EncodeToString(h.Sum(nil))
}

// checkBig checks the stored file against the sent digest and removes it
// with DELETE.
func checkBig(t *testing.T, stored, sentSHA, deleteURL string) {
	t.Helper()
	fi, err := os.Stat(stored)
	if err != nil || fi.Size() != bigSize {
		t.Fatalf("stored file: %v, want %d bytes", err, bigSize)
	}
	if got := fileSHA(t, stored); got != sentSHA {
		t.Errorf("stored SHA-256 %s, sent %s", got, sentSHA)
	}
	req, _ := http.NewRequest("DELETE", deleteURL, nil)
	resp, err := servertest.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 204 {
		t.Errorf("DELETE: got %d, want 204", resp.StatusCode)
	}
	if _, err := os.Stat(stored); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("after DELETE: %v", err)
	}
}

// TestUploadStreamed1GiB streams 1 GiB into the in-process server (under
// -race when the suite is) with Content-Length through Go's client, and
// chunked through curl -T - (curl reads the body from its stdin, so it
// cannot know the length) when curl is installed.
func TestUploadStreamed1GiB(t *testing.T) {
	if os.Getenv("WEBSERV_BIG") != "1" {
		t.Skip("set WEBSERV_BIG=1 to run (about 30 s under -race on 2 cores); TestUploadPeakRSS stores a 1 GiB body by default")
	}
	s := startCurl(t)
	stored := filepath.Join(s.Dir, "store", "big.bin")
	url := s.URL(0, "/up/big.bin")
	t.Run("content-length/go", func(t *testing.T) {
		status, sent := putBig(t, url, true)
		if status != 201 {
			t.Fatalf("got %d, want 201", status)
		}
		checkBig(t, stored, sent, url)
	})
	t.Run("chunked/curl", func(t *testing.T) {
		needCurl(t)
		h := sha256.New()
		status, body := runCurl(t, io.TeeReader(newPattern(bigSize), h), "-T", "-", url)
		if status != 201 {
			t.Fatalf("got %d %s, want 201", status, body)
		}
		checkBig(t, stored, hex.EncodeToString(h.Sum(nil)), url)
	})
	if got := storeFiles(t, s); len(got) != 0 {
		t.Errorf("store holds %q after the deletes", got)
	}
}

// TestUploadPeakRSS builds cmd/webserv, runs it, streams a 1 GiB body into
// it and reads the process's peak resident set (VmHWM in /proc/PID/status,
// proc(5)) before and after: it must grow by less than 16 MiB. The stored
// file must hash to what was sent. The body goes with Content-Length from
// Go's client: under -race the test process is the bottleneck, and this
// is its fastest sender (chunked through Go's client or curl's stdin took
// twice as long); scripts/upload-rss.sh measures the chunked case.
func TestUploadPeakRSS(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the 1 GiB upload")
	}
	if runtime.GOOS != "linux" {
		t.Skip("needs Linux /proc/PID/status")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not found: cannot build cmd/webserv")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "webserv")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, goTool, "build", "-o", bin, "webserv/cmd/webserv").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	servertest.WriteFiles(t, dir, map[string]string{"www/": "", "store/": ""})
	pid, addr := startBinary(t, bin, dir)

	before := procStatusKiB(t, pid, "VmHWM")
	status, sent := putBig(t, "http://"+addr+"/up/big.bin", true)
	after := procStatusKiB(t, pid, "VmHWM")
	if status != 201 {
		t.Fatalf("got %d, want 201", status)
	}
	growth := after - before
	t.Logf("peak RSS (VmHWM) %d KiB before, %d KiB after: grew %d KiB", before, after, growth)
	if growth >= rssLimitKiB {
		t.Errorf("peak RSS grew by %d KiB storing %d bytes, want < %d KiB", growth, bigSize, rssLimitKiB)
	}
	checkBig(t, filepath.Join(dir, "store", "big.bin"), sent, "http://"+addr+"/up/big.bin")
}

// startBinary runs bin with a configuration in dir serving /up/ from
// dir/store on a free loopback port, waits until it accepts connections,
// and stops it (SIGTERM, then SIGKILL) when the test ends. It returns the
// process id and the address.
func startBinary(t *testing.T, bin, dir string) (int, string) {
	t.Helper()
	for attempt := 0; ; attempt++ {
		// A free port: listen, note it, close. Another process may take
		// it before the server does; then the server exits and we retry.
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		conf := filepath.Join(dir, "webserv.conf")
		servertest.WriteFiles(t, dir, map[string]string{"webserv.conf": fmt.Sprintf(`
error_log stderr warn;
server {
    listen %s;
    root www;
    location /up/ {
        upload_store store;
        methods GET PUT DELETE;
        client_max_body_size 0;
    }
}
`, addr)})
		cmd := exec.Command(bin, "-c", conf)
		log := &servertest.SyncBuffer{}
		cmd.Stdout, cmd.Stderr = log, log
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
		stop := func() {
			cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-exited:
			case <-time.After(10 * time.Second):
				cmd.Process.Kill()
				<-exited
				t.Error("server did not stop on SIGTERM")
			}
		}
		if waitListening(addr, exited) {
			t.Cleanup(func() {
				stop()
				if t.Failed() {
					t.Logf("server output:\n%s", log.String())
				}
			})
			return cmd.Process.Pid, addr
		}
		stop()
		if attempt == 2 {
			t.Fatalf("server did not start on %s:\n%s", addr, log.String())
		}
	}
}

// waitListening polls addr until webserv answers there (true), the
// process exits, another server answers, or 10 s pass (false).
func waitListening(addr string, exited <-chan struct{}) bool {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return false
		default:
		}
		// Ask, rather than only connect: another program may have taken
		// the port after it was found free.
		c := servertest.Client()
		c.Timeout = time.Second
		if resp, err := c.Get("http://" + addr + "/"); err == nil {
			resp.Body.Close()
			return resp.Header.Get("Server") == http1.ServerName
		}
		pollPause()
	}
	return false
}

// procStatusKiB returns a "kB" field of /proc/PID/status (proc(5)).
func procStatusKiB(t *testing.T, pid int, field string) int64 {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok || name != field {
			continue
		}
		v, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		if err != nil {
			t.Fatalf("%s: %q: %v", field, rest, err)
		}
		return v
	}
	t.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}
