package server_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"webserv/internal/server"
	"webserv/internal/servertest"
	"webserv/internal/servertest/wait"
)

// The event loops (loop.go) serve keep-alive connections themselves, and
// never wait for one of them: a slow client, a body, a head in pieces or
// a CGI program moves that connection to a goroutine of its own, and the
// loop's other connections go on being served.

func needLoops(t *testing.T) {
	t.Helper()
	if _, _, ok := server.LoopServed(); !ok {
		t.Skip("no event loops on this platform: connections wait in goroutines")
	}
}

const loopConf = `
server {
    listen 127.0.0.1:$PORT0;
    root www;
    keepalive_timeout 60s;
    location /up/ {
        upload_store store;
        methods GET PUT;
    }
    location /cgi/ {
        cgi .sh;
    }
}
`

// loopFiles is the site: a small page and a file far larger than a
// socket's buffers.
func loopFiles(big []byte) map[string]string {
	return map[string]string{
		"www/index.html": "home",
		"www/big.bin":    string(big),
		"store/.keep":    "",
	}
}

// writeWaitScript adds the CGI program www/cgi/wait.sh, which runs until
// the file whose path it returns exists (the test creates it).
func writeWaitScript(t *testing.T, s *servertest.Server) (marker string) {
	t.Helper()
	marker = filepath.Join(s.Dir, "marker")
	servertest.WriteFiles(t, s.Dir, map[string]string{"www/cgi/wait.sh": "#!/bin/sh\n" +
		"while [ ! -e '" + marker + "' ]; do sleep 0.01; done\n" +
		"printf 'Content-Type: text/plain\\n\\ndone\\n'\n"})
	if err := os.Chmod(filepath.Join(s.Dir, "www/cgi/wait.sh"), 0o755); err != nil {
		t.Fatal(err)
	}
	return marker
}

// keptConn is a keep-alive connection that has made one request, so that
// its next one is read by a loop.
type keptConn struct {
	c  net.Conn
	br *bufio.Reader
}

func dialKept(t *testing.T, s *servertest.Server) *keptConn {
	t.Helper()
	k := &keptConn{c: s.Dial(t, 0)}
	k.br = bufio.NewReader(k.c)
	k.get(t, "/index.html", "home")
	// Parked before the test's request: a request that comes while the
	// connection is on its way to the loop is served by the goroutine
	// bringing it, and would not test the loop.
	wait.Until(t, servertest.IOTimeout, func() error {
		if !server.IsParked(s.Srv, k.c) {
			return errors.New("connection not parked yet")
		}
		return nil
	})
	return k
}

func (k *keptConn) get(t *testing.T, path, want string) {
	t.Helper()
	fmt.Fprintf(k.c, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", path)
	if r := servertest.ReadResponse(t, k.br, "GET"); r.StatusCode != 200 || string(r.Body) != want {
		t.Fatalf("GET %s: got %d %q, want 200 %q", path, r.StatusCode, r.Body, want)
	}
}

// others are keep-alive connections that park in the same loop as k,
// four of them (connections go to loops by descriptor).
func others(t *testing.T, s *servertest.Server, k *keptConn) []*keptConn {
	t.Helper()
	want := server.LoopOf(s.Srv, k.c)
	if want < 0 {
		t.Fatal("connection not found on the server")
	}
	var ks []*keptConn
	for range 64 {
		o := dialKept(t, s)
		if server.LoopOf(s.Srv, o.c) == want {
			ks = append(ks, o)
			if len(ks) == 4 {
				return ks
			}
		} else {
			// Descriptors are numbered in order, the test's client ends
			// and the server's ends in turn: one more open file shifts
			// which loop the next connections land in.
			f, err := os.Open(os.DevNull)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { f.Close() })
		}
	}
	t.Fatalf("64 connections, %d of them in the loop of the first", len(ks))
	return nil
}

// served checks that each of ks is answered now (within IOTimeout), while
// some connection of theirs is held up.
func served(t *testing.T, ks []*keptConn) {
	t.Helper()
	for _, k := range ks {
		k.get(t, "/index.html", "home")
	}
}

// Keep-alive requests after the first are served by the loops.
func TestLoopServesKeepAlive(t *testing.T) {
	t.Parallel()
	needLoops(t)
	s := servertest.Start(t, loopConf, 1, loopFiles(nil))
	k := dialKept(t, s)
	before, _, _ := server.LoopServed()
	for range 5 {
		// Parked first: a request that comes while the connection is on
		// its way to the loop is served by the goroutine bringing it.
		waitParked(t, s, 1)
		k.get(t, "/index.html", "home")
	}
	// Other tests run in parallel: at least these five count.
	if n, _, _ := server.LoopServed(); n-before < 5 {
		t.Errorf("loops served %d connections during 5 keep-alive requests, want at least 5", n-before)
	}
}

// A client that does not read a large response holds only its own
// connection; it gets the whole file once it reads.
func TestLoopNotHeldBySlowReader(t *testing.T) {
	t.Parallel()
	needLoops(t)
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<18) // 4 MiB
	s := servertest.Start(t, loopConf, 1, loopFiles(big))
	slow := dialKept(t, s)
	ks := others(t, s, slow)
	io.WriteString(slow.c, "GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n")
	served(t, ks)
	r := servertest.ReadResponse(t, slow.br, "GET")
	if r.StatusCode != 200 || !bytes.Equal(r.Body, big) {
		t.Fatalf("slow reader: got %d, %d bytes, want 200 and the %d-byte file", r.StatusCode, len(r.Body), len(big))
	}
	slow.get(t, "/index.html", "home") // and the connection is still good
}

// A head that arrives in two pieces, with other requests in between.
func TestLoopNotHeldBySplitHead(t *testing.T) {
	t.Parallel()
	needLoops(t)
	s := servertest.Start(t, loopConf, 1, loopFiles(nil))
	split := dialKept(t, s)
	ks := others(t, s, split)
	io.WriteString(split.c, "GET /index.html HTTP/1.1\r\nHo")
	served(t, ks)
	io.WriteString(split.c, "st: x\r\n\r\n")
	if r := servertest.ReadResponse(t, split.br, "GET"); r.StatusCode != 200 || string(r.Body) != "home" {
		t.Fatalf("split head: got %d %q", r.StatusCode, r.Body)
	}
	split.get(t, "/index.html", "home")
}

// A request body that comes slowly.
func TestLoopNotHeldByBody(t *testing.T) {
	t.Parallel()
	needLoops(t)
	s := servertest.Start(t, loopConf, 1, loopFiles(nil))
	up := dialKept(t, s)
	ks := others(t, s, up)
	io.WriteString(up.c, "PUT /up/f.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nhello")
	served(t, ks)
	io.WriteString(up.c, "world")
	if r := servertest.ReadResponse(t, up.br, "PUT"); r.StatusCode != 201 && r.StatusCode != 204 {
		t.Fatalf("PUT: got %d %q", r.StatusCode, r.Body)
	}
	got, err := os.ReadFile(filepath.Join(s.Dir, "store/f.txt"))
	if err != nil || string(got) != "helloworld" {
		t.Fatalf("stored %q (%v), want \"helloworld\"", got, err)
	}
	up.get(t, "/index.html", "home")
}

// A CGI program that runs until the other connections have been served.
func TestLoopNotHeldByCGI(t *testing.T) {
	t.Parallel()
	needLoops(t)
	s := servertest.Start(t, loopConf, 1, loopFiles(nil))
	marker := writeWaitScript(t, s)
	cgi := dialKept(t, s)
	ks := others(t, s, cgi)
	io.WriteString(cgi.c, "GET /cgi/wait.sh HTTP/1.1\r\nHost: x\r\n\r\n")
	served(t, ks)
	if err := os.WriteFile(marker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if r := servertest.ReadResponse(t, cgi.br, "GET"); r.StatusCode != 200 || string(r.Body) != "done\n" {
		t.Fatalf("CGI: got %d %q", r.StatusCode, r.Body)
	}
	cgi.get(t, "/index.html", "home")
}

// Pipelined requests on a loop's connection are all answered, in order.
func TestLoopPipelined(t *testing.T) {
	t.Parallel()
	needLoops(t)
	s := servertest.Start(t, loopConf, 1, loopFiles(nil))
	k := dialKept(t, s)
	io.WriteString(k.c, strings.Repeat("GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n", 3)+
		"GET /missing HTTP/1.1\r\nHost: x\r\n\r\n")
	for i := range 3 {
		if r := servertest.ReadResponse(t, k.br, "GET"); r.StatusCode != 200 || string(r.Body) != "home" {
			t.Fatalf("pipelined %d: got %d %q", i, r.StatusCode, r.Body)
		}
	}
	if r := servertest.ReadResponse(t, k.br, "GET"); r.StatusCode != 404 {
		t.Fatalf("pipelined 404: got %d", r.StatusCode)
	}
}

// Clients that send their next request the moment a response arrives
// race the connection on its way back to the loop: an edge that comes
// then must not be lost (the request would wait for keepalive_timeout,
// 60 s here, and the client time out).
func TestLoopNoLostWakeups(t *testing.T) {
	t.Parallel()
	needLoops(t)
	s := servertest.Start(t, loopConf, 1, loopFiles(nil))
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.DialTimeout("tcp", s.Addrs[0], servertest.IOTimeout)
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			br := bufio.NewReader(c)
			req := []byte("GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n")
			for i := range 300 {
				c.SetDeadline(time.Now().Add(servertest.IOTimeout))
				if _, err := c.Write(req); err != nil {
					errs <- err
					return
				}
				if err := skipResponse(br, len("home")); err != nil {
					errs <- fmt.Errorf("request %d: %v", i, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// skipResponse reads one response head and a body of n bytes.
func skipResponse(br *bufio.Reader, n int) error {
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return err
		}
		if line == "\r\n" {
			break
		}
	}
	_, err := br.Discard(n)
	return err
}

// keepalive_timeout closes a connection parked in a loop, and the loops
// hold no goroutine per connection.
func TestLoopKeepaliveTimeout(t *testing.T) {
	t.Parallel()
	needLoops(t)
	s := servertest.Start(t, `
server {
    listen 127.0.0.1:$PORT0;
    root www;
    keepalive_timeout 300ms;
}
`, 1, map[string]string{"www/index.html": "home"})
	k := dialKept(t, s)
	k.get(t, "/index.html", "home") // served by a loop, then parked again
	k.c.SetReadDeadline(time.Now().Add(servertest.IOTimeout))
	if _, err := k.br.ReadByte(); err != io.EOF {
		t.Fatalf("after keepalive_timeout: %v, want EOF", err)
	}
	wait.Until(t, servertest.IOTimeout, func() error {
		if n := server.ParkedOn(s.Srv); n != 0 {
			return fmt.Errorf("%d connections still parked", n)
		}
		return nil
	})
}

// send_timeout still bounds a response that a loop began: the write that
// waits arms it (a loop's own writes never wait, and arm none).
func TestLoopSendTimeout(t *testing.T) {
	t.Parallel()
	needLoops(t)
	const size = 32 << 20 // well past what loopback socket buffers hold
	s := servertest.Start(t, `
send_timeout 1s;
server {
    listen 127.0.0.1:$PORT0;
    root www;
    keepalive_timeout 60s;
}
`, 1, map[string]string{"www/index.html": "home", "www/big.bin": strings.Repeat("x", size)})
	k := dialKept(t, s)
	io.WriteString(k.c, "GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n")
	busy := func(want int) func() error {
		return func() error {
			if n := server.Busy(s.Srv); n != want {
				return fmt.Errorf("%d connections busy, want %d", n, want)
			}
			return nil
		}
	}
	wait.Until(t, servertest.IOTimeout, busy(1)) // stuck sending
	wait.Until(t, servertest.IOTimeout, busy(0)) // cut off
	k.c.SetReadDeadline(time.Now().Add(servertest.IOTimeout))
	n, _ := io.Copy(io.Discard, k.br)
	if n >= size {
		t.Fatalf("the reader got the whole file (%d bytes): not cut off by send_timeout", n)
	}
}

// A CGI request that waits for a cgi_max_processes slot waits off the
// loop: the loop's other connections are served meanwhile, and the
// request gets the slot when the program holding it ends.
func TestLoopNotHeldByCGISlotWait(t *testing.T) {
	t.Parallel()
	needLoops(t)
	s := servertest.Start(t, `
cgi_max_processes 1;
server {
    listen 127.0.0.1:$PORT0;
    root www;
    keepalive_timeout 60s;
    location /cgi/ { cgi .sh; }
    location = /metrics { status; }
}
`, 1, loopFiles(nil))
	marker := writeWaitScript(t, s)
	t.Cleanup(func() { os.WriteFile(marker, nil, 0o644) })
	metric := func(name, want string) func() error {
		return func() error {
			r, err := servertest.Client().Get(s.URL(0, "/metrics"))
			if err != nil {
				return err
			}
			b, _ := io.ReadAll(r.Body)
			r.Body.Close()
			if !strings.Contains(string(b), "\n"+name+" "+want+"\n") {
				return fmt.Errorf("%s is not %s", name, want)
			}
			return nil
		}
	}
	holder := dialKept(t, s)
	io.WriteString(holder.c, "GET /cgi/wait.sh HTTP/1.1\r\nHost: x\r\n\r\n")
	wait.Until(t, servertest.IOTimeout, metric("webserv_cgi_running", "1"))
	waiter := dialKept(t, s)
	ks := others(t, s, waiter)
	io.WriteString(waiter.c, "GET /cgi/wait.sh HTTP/1.1\r\nHost: x\r\n\r\n")
	wait.Until(t, servertest.IOTimeout, metric("webserv_cgi_waiting", "1"))
	// A loop that waited for the slot would answer these only once the
	// wait gave up (503 to the waiter, below).
	served(t, ks)
	if err := os.WriteFile(marker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, k := range []*keptConn{holder, waiter} {
		if r := servertest.ReadResponse(t, k.br, "GET"); r.StatusCode != 200 || string(r.Body) != "done\n" {
			t.Fatalf("CGI: got %d %q, want 200 \"done\\n\"", r.StatusCode, r.Body)
		}
	}
}

// A file that may not be in the page cache (above 256 KiB, sent with
// sendfile that may wait for the disk) is sent off the loop. Not
// parallel: it counts the loops' hand-overs.
func TestLoopLeavesForUncachedSendfile(t *testing.T) {
	needLoops(t)
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	s := servertest.Start(t, loopConf, 1, loopFiles(big))
	k := dialKept(t, s)
	_, before, _ := server.LoopServed()
	k.get(t, "/big.bin", string(big))
	if _, left, _ := server.LoopServed(); left == before {
		t.Error("a 1 MiB file was sent by the loop itself")
	}
}

// busyBatchUntil makes five connections parked in one loop send a request
// each at once, so that one wake-up may find them all ready (a busy
// batch), until count of that loop has moved; what says what it counts.
func busyBatchUntil(t *testing.T, s *servertest.Server, count func(loop int) int64, what string) {
	first := dialKept(t, s)
	ks := append(others(t, s, first), first) // five in one loop
	loop := server.LoopOf(s.Srv, first.c)
	req := []byte("GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n")
	wait.Until(t, servertest.IOTimeout, func() error {
		for _, k := range ks {
			waitParkedConn(t, s, k.c)
		}
		before := count(loop)
		for _, k := range ks {
			if _, err := k.c.Write(req); err != nil {
				t.Fatal(err)
			}
		}
		for _, k := range ks {
			if r := servertest.ReadResponse(t, k.br, "GET"); r.StatusCode != 200 || string(r.Body) != "home" {
				t.Fatalf("got %d %q, want 200 \"home\"", r.StatusCode, r.Body)
			}
		}
		waitParkedConn(t, s, first.c)
		first.get(t, "/index.html", "home")
		if count(loop) == before {
			return errors.New(what)
		}
		return nil
	})
}

// A loop that has served a busy batch of connections waits for the next
// in epoll_wait itself (loop_linux.go), and a request that comes then
// wakes it.
func TestLoopBlockingWait(t *testing.T) {
	t.Parallel()
	needLoops(t)
	s := servertest.Start(t, loopConf, 1, loopFiles(nil))
	busyBatchUntil(t, s, server.LoopBlocked, "the loop has not been woken from epoll_wait")
}

// A busy loop that has served for a while (yieldAfter, here made 0)
// without waiting yields its CPU before its next batch, and goes on
// serving. Not parallel: the loops are the process's.
func TestLoopYieldsWhenBusyLong(t *testing.T) {
	needLoops(t)
	defer server.SetLoopYieldAfter(0)()
	s := servertest.Start(t, loopConf, 1, loopFiles(nil))
	busyBatchUntil(t, s, server.LoopYields, "the loop has not yielded")
}
