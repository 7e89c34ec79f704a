package server_test

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
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
	"sync/atomic"
	"testing"
	"time"

	"webserv/internal/servertest"
	"webserv/internal/servertest/wait"
)

// cgiStreamTimeout bounds one large exchange: 10 MiB through a Python
// program under the race detector on a shared 2-core machine.
const cgiStreamTimeout = 60 * time.Second

// streamExchange sends head and then the body that writeBody writes, from a
// goroutine of its own, while it reads the response on this one: the
// request and the response are in flight at the same time, as with a
// program that echoes as it reads. It reports whether the response head
// arrived before the last byte of the request body was written.
func streamExchange(t *testing.T, s *servertest.Server, head string, writeBody func(io.Writer) error) (resp *servertest.Response, early bool) {
	t.Helper()
	c := s.Dial(t, 0)
	c.SetDeadline(time.Now().Add(cgiStreamTimeout))
	// A small send buffer keeps the client from absorbing the body: what
	// it has written has (mostly) reached the server.
	c.(*net.TCPConn).SetWriteBuffer(64 << 10)
	var sent atomic.Bool
	werr := make(chan error, 1)
	go func() {
		_, err := io.WriteString(c, head)
		if err == nil {
			err = writeBody(c)
		}
		sent.Store(true)
		werr <- err
	}()
	br := bufio.NewReader(c)
	if _, err := br.Peek(1); err != nil {
		t.Fatalf("no response: %v (writer: %v)", err, <-werr)
	}
	early = !sent.Load()
	resp = servertest.ReadResponse(t, br, "POST")
	if err := <-werr; err != nil {
		t.Fatalf("writing the request: %v", err)
	}
	return resp, early
}

// writeChunked writes data with chunked framing (RFC 9112 §7.1) in chunks
// of assorted sizes, one of them with an extension.
func writeChunked(w io.Writer, data []byte) error {
	sizes := []int{1, 4093, 65536, 100003, 7, 1 << 20}
	bw := bufio.NewWriterSize(w, 64<<10)
	for i := 0; len(data) > 0; i++ {
		n := min(sizes[i%len(sizes)], len(data))
		ext := ""
		if i == 3 {
			ext = ";note=\"x\""
		}
		fmt.Fprintf(bw, "%x%s\r\n", n, ext)
		bw.Write(data[:n])
		bw.WriteString("\r\n")
		data = data[n:]
	}
	bw.WriteString("0\r\n\r\n")
	return bw.Flush()
}

func writePieces(w io.Writer, data []byte) error {
	for len(data) > 0 {
		n := min(64<<10, len(data))
		if _, err := w.Write(data[:n]); err != nil {
			return err
		}
		data = data[n:]
	}
	return nil
}

// A 10 MiB POST comes back byte for byte through a program that echoes as
// it reads (SPEC §5: neither side can deadlock the other), with
// Content-Length and chunked (de-chunked on the way in, RFC 3875 §4.1.2 and
// package cgi's doc); and through one that writes 4 MiB before reading.
func TestCGIStreams10MiB(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 not installed (CI installs it)")
	}
	s := startCGI(t)
	data := make([]byte, 10<<20)
	for i := range data {
		data[i] = byte(i*7 + i>>13)
	}
	sum := sha256.Sum256(data)
	clHead := func(path string) string {
		return "POST " + path + " HTTP/1.1\r\nHost: cgi.test\r\nContent-Type: application/octet-stream\r\n" +
			"Content-Length: " + strconv.Itoa(len(data)) + "\r\nConnection: close\r\n\r\n"
	}
	chunkedHead := func(path string) string {
		return "POST " + path + " HTTP/1.1\r\nHost: cgi.test\r\nContent-Type: application/octet-stream\r\n" +
			"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
	}
	tests := []struct {
		name      string
		head      string
		writeBody func(io.Writer) error
		// check verifies the response body.
		check func(t *testing.T, body []byte)
		// early: the response must start before the request ends.
		early bool
	}{
		{
			name:      "echo as it reads, Content-Length",
			head:      clHead("/cgi/echo64k.py"),
			writeBody: func(w io.Writer) error { return writePieces(w, data) },
			check:     checkEcho(sum),
			early:     true,
		},
		{
			name:      "echo as it reads, chunked",
			head:      chunkedHead("/cgi/echo64k.py"),
			writeBody: func(w io.Writer) error { return writeChunked(w, data) },
			check:     checkEcho(sum),
			early:     true,
		},
		{
			name:      "writes 4 MiB before reading, chunked",
			head:      chunkedHead("/cgi/writefirst.py"),
			writeBody: func(w io.Writer) error { return writeChunked(w, data) },
			check: func(t *testing.T, body []byte) {
				pre, digest := body[:min(len(body), 4<<20)], body[min(len(body), 4<<20):]
				if !bytes.Equal(pre, bytes.Repeat([]byte("x"), 4<<20)) || string(digest) != hex.EncodeToString(sum[:]) {
					t.Errorf("got %d bytes ending %q, want 4 MiB of x then %x", len(body), digest, sum)
				}
			},
			early: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, early := streamExchange(t, s, tt.head, tt.writeBody)
			if resp.StatusCode != 200 {
				t.Fatalf("got %d %.200q", resp.StatusCode, resp.Body)
			}
			// No Content-Length from the program: chunked to an HTTP/1.1
			// client (RFC 9112 §7.1), never buffered whole.
			if te := resp.TransferEncoding; len(te) != 1 || te[0] != "chunked" {
				t.Errorf("Transfer-Encoding %q, want chunked", te)
			}
			tt.check(t, resp.Body)
			if tt.early && !early {
				t.Error("the response began only after the whole request body was sent: the body was not streamed")
			}
		})
	}
}

func checkEcho(want [32]byte) func(*testing.T, []byte) {
	return func(t *testing.T, body []byte) {
		if got := sha256.Sum256(body); got != want {
			t.Errorf("echo: got %d bytes, sha256 %x; want 10485760 bytes, %x", len(body), got, want)
		}
	}
}

// A client that goes away while its program runs gets the program killed:
// its whole process group (SPEC §5), well before cgi_timeout (60s at
// /slow/), whether the program is writing, silent after its first bytes,
// silent before its header, or still being fed the request body.
func TestCGIClientGoneKillsProgram(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("process groups are listed from /proc/PID/stat (Linux)")
	}
	s := startCGI(t)
	get := func(path string) string { return "GET " + path + " HTTP/1.1\r\nHost: cgi.test\r\n\r\n" }
	post := func(path string, length int, body string) string {
		return "POST " + path + " HTTP/1.1\r\nHost: cgi.test\r\nContent-Length: " + strconv.Itoa(length) + "\r\n\r\n" + body
	}
	tests := []struct {
		name, script, raw string
		firstLine         string // read before leaving, "" if the program writes nothing
	}{
		{"writing slowly", "ticker", get("/slow/ticker.sh"), "tick\n"},
		{"silent after its first line", "sleeper", get("/slow/sleeper.sh"), "first\n"},
		{"silent before its header", "silent", get("/slow/silent.sh"), ""},
		{"silent after the whole body", "silent", post("/slow/silent.sh", 5, "hello"), ""},
		{"half the body sent", "silent", post("/slow/silent.sh", 10, "hello"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pgidFile := filepath.Join(s.Dir, "www/slow", tt.script+".pgid")
			os.Remove(pgidFile)
			c := s.Dial(t, 0)
			if _, err := io.WriteString(c, tt.raw); err != nil {
				t.Fatal(err)
			}
			if tt.firstLine != "" {
				resp, err := http.ReadResponse(bufio.NewReader(c), nil)
				if err != nil {
					t.Fatal(err)
				}
				line, err := bufio.NewReader(resp.Body).ReadString('\n')
				if err != nil || line != tt.firstLine {
					t.Fatalf("first line %q, %v; want %q", line, err, tt.firstLine)
				}
			}
			var pgid int
			wait.Until(t, servertest.IOTimeout, func() error {
				b, err := os.ReadFile(pgidFile)
				if err != nil {
					return fmt.Errorf("the program did not start: %w", err)
				}
				if pgid, err = strconv.Atoi(strings.TrimSpace(string(b))); err != nil || pgid <= 1 {
					return fmt.Errorf("bad pgid file %q", b)
				}
				return nil
			})
			if m := liveGroupMembers(pgid); len(m) < 2 {
				t.Fatalf("the program and its child should be running: group %d has %v", pgid, m)
			}
			c.Close()
			wait.Until(t, 15*time.Second, func() error {
				if m := liveGroupMembers(pgid); len(m) > 0 {
					return fmt.Errorf("process group %d still alive after the client left: %v", pgid, m)
				}
				return nil
			})
		})
	}
}

// cgiProc is the part of /proc/PID/stat (proc(5)) the tests look at.
type cgiProc struct {
	pid, ppid, pgrp int
	state           byte
}

// scanProcs scans /proc. Processes that vanish while it reads are
// skipped.
func scanProcs() []cgiProc {
	ents, _ := os.ReadDir("/proc")
	var out []cgiProc
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// "pid (comm) state ppid pgrp ...": comm may hold spaces and
		// parentheses, so fields start after the last ')'.
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(b[i+1:]))
		if len(f) < 3 || len(f[0]) != 1 {
			continue
		}
		ppid, _ := strconv.Atoi(f[1])
		pgrp, _ := strconv.Atoi(f[2])
		out = append(out, cgiProc{pid: pid, ppid: ppid, pgrp: pgrp, state: f[0][0]})
	}
	return out
}

// liveGroupMembers lists the pids in process group pgid that are not
// zombies. (An orphaned grandchild that was killed is reaped by init, or
// by whatever runs as PID 1 in a container: not the server's business.)
func liveGroupMembers(pgid int) []int {
	var pids []int
	for _, p := range scanProcs() {
		if p.pgrp == pgid && p.state != 'Z' {
			pids = append(pids, p.pid)
		}
	}
	return pids
}
