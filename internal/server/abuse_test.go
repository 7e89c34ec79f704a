package server_test

import (
	"bufio"
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
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"webserv/internal/server"
	"webserv/internal/servertest"
)

// Slow and abusive clients, and resource exhaustion (SPEC §2 timeouts,
// §6 max_connections and EMFILE): while abusers hold connections, a
// normal client is answered; the abusers are cut off by the configured
// timeouts; memory and goroutines stay bounded and return to where they
// were. Figures are logged (go test -v -run 'Slow|Header|EMFILE|Max').

// connBudget returns how many client connections a test may open in this
// process (each costs two descriptors here: ours and the server's), at
// most want.
func connBudget(t *testing.T, want int) int {
	t.Helper()
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	n := min(want, (int(lim.Cur)-countFDs(t)-256)/2)
	if n < want {
		t.Logf("RLIMIT_NOFILE is %d: using %d connections instead of %d", lim.Cur, n, want)
	}
	if n < 50 {
		t.Skipf("RLIMIT_NOFILE %d too low", lim.Cur)
	}
	return n
}

// heapInUse returns the heap in use after a collection.
func heapInUse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

const mib = 1 << 20

// normalClient requests path on a fresh connection every 20 ms until stop
// is closed, and reports how many were answered 200 with want; any other
// outcome is an error. The pace keeps the client's TIME_WAIT sockets (and
// so its ephemeral ports) few.
func normalClient(t *testing.T, addr, path, want string, stop <-chan struct{}) (answered func() int) {
	t.Helper()
	var n atomic.Int64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			status, body, err := simpleGet(addr, path)
			if err != nil || status != 200 || body != want {
				t.Errorf("normal client: got %d %q %v, want 200 %q", status, body, err, want)
				return
			}
			n.Add(1)
		}
	}()
	return func() int { wg.Wait(); return int(n.Load()) }
}

// simpleGet does one GET on a new connection, without failing the test
// (it runs on other goroutines).
func simpleGet(addr, path string) (int, string, error) {
	c, err := net.DialTimeout("tcp", addr, servertest.IOTimeout)
	if err != nil {
		return 0, "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(servertest.IOTimeout))
	if _, err := io.WriteString(c, "GET "+path+" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"); err != nil {
		return 0, "", err
	}
	resp, body, err := readResponseBody(bufio.NewReader(c), "GET")
	if err != nil {
		return 0, "", err
	}
	return resp.StatusCode, body, nil
}

// Slowloris: many connections each send one header byte a second. With
// client_header_timeout 2s every one of them is answered 408 and closed,
// and meanwhile a normal client gets every request answered.
func TestSlowloris(t *testing.T) {
	s := servertest.Start(t, `
client_header_timeout 2s;
server { listen 127.0.0.1:$PORT0; root www; }
`, 1, map[string]string{"www/index.html": "home"})
	n := connBudget(t, 1000)
	goroutines, fds := settle(t, s)
	heap0 := heapInUse()

	stop := make(chan struct{})
	answered := normalClient(t, s.Addrs[0], "/", "home", stop)

	const payload = "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	outcomes := make(chan string, n)
	var started sync.WaitGroup
	for range n {
		c, err := net.DialTimeout("tcp", s.Addrs[0], servertest.IOTimeout)
		if err != nil {
			t.Fatalf("dial: %v", err)
		}
		started.Add(1)
		go func() {
			defer c.Close()
			br := bufio.NewReader(c)
			for i := range len(payload) {
				if _, err := c.Write([]byte{payload[i]}); err != nil {
					outcomes <- "closed"
					return
				}
				if i == 0 {
					started.Done()
				}
				// The abuser's pace: one byte a second, reading meanwhile.
				c.SetReadDeadline(time.Now().Add(time.Second))
				if _, err := br.Peek(1); err != nil {
					var ne net.Error
					if errors.As(err, &ne) && ne.Timeout() {
						continue
					}
					outcomes <- "closed"
					return
				}
				c.SetReadDeadline(time.Now().Add(servertest.IOTimeout))
				resp, err := http.ReadResponse(br, nil)
				if err != nil {
					outcomes <- "bad response: " + err.Error()
					return
				}
				if _, err := io.Copy(io.Discard, resp.Body); err != nil {
					outcomes <- "bad response body: " + err.Error()
					return
				}
				if b, err := br.ReadByte(); err == nil {
					outcomes <- fmt.Sprintf("not closed after %s: %q", resp.Status, b)
					return
				}
				outcomes <- strconv.Itoa(resp.StatusCode)
				return
			}
			outcomes <- "never cut off"
		}()
	}
	started.Wait()
	// Every abuser holds a connection now: the high-water mark.
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	heapPeak, goPeak := ms.HeapInuse, serverGoroutines(s)

	counts := map[string]int{}
	for range n {
		counts[<-outcomes]++
	}
	close(stop)
	served := answered()
	t.Logf("slowloris: %d connections; outcomes %v; normal client answered %d requests meanwhile", n, counts, served)
	t.Logf("slowloris: heap in use %.1f MiB before, %.1f MiB with every abuser connected (%.1f KiB per connection); %d goroutines (server and test clients) vs %d before",
		float64(heap0)/mib, float64(heapPeak)/mib, float64(heapPeak-heap0)/1024/float64(n), goPeak, goroutines)
	if counts["408"]+counts["closed"] != n {
		t.Errorf("abusers not all cut off by 408 or close: %v", counts)
	}
	if counts["408"] == 0 {
		t.Errorf("no abuser got 408: %v", counts)
	}
	if served == 0 {
		t.Error("the normal client got nothing answered")
	}
	// The read buffer is the largest per-connection cost (about 41 KiB
	// with the default limits); 128 KiB leaves room for the rest.
	if per := (int64(heapPeak) - int64(heap0)) / int64(n); per > 128<<10 {
		t.Errorf("heap grew by %d KiB per slow connection, want at most 128 KiB", per>>10)
	}
	if goPeak > goroutines+2*n+50 {
		t.Errorf("%d goroutines for %d connections (baseline %d)", goPeak, n, goroutines)
	}
	pollGoroutines(t, s, goroutines)
	poll(t, "descriptors back to baseline", func() string {
		if f := countFDs(t); f > fds {
			return fmt.Sprintf("%d descriptors, baseline %d", f, fds)
		}
		return ""
	})
}

// Slow bodies: a client that stalls mid-body, and one that sends a byte
// every 400 ms for a while and then stalls, are answered 408 and closed
// once a gap passes client_body_timeout (1s) — the dripper not before it
// stops — no partial upload is left behind, and a normal client is
// answered meanwhile.
func TestSlowBody(t *testing.T) {
	s := servertest.Start(t, `
server {
    listen 127.0.0.1:$PORT0;
    root www;
    location /up/ {
        methods GET POST;
        upload_store store;
        client_body_timeout 1s;
    }
}
`, 1, map[string]string{"www/index.html": "home", "store/": ""})
	goroutines, fds := settle(t, s)
	stop := make(chan struct{})
	answered := normalClient(t, s.Addrs[0], "/", "home", stop)

	const stallers, drippers = 50, 10
	var wg sync.WaitGroup
	results := make(chan string, stallers+drippers)
	for i := range stallers + drippers {
		drip := i >= stallers
		c, err := net.DialTimeout("tcp", s.Addrs[0], servertest.IOTimeout)
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Close()
			c.SetDeadline(time.Now().Add(servertest.IOTimeout))
			io.WriteString(c, "POST /up/ HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n0123456789")
			br := bufio.NewReader(c)
			if drip {
				// Each gap is well inside the timeout: nothing may come
				// back while the body makes progress.
				for range 5 {
					c.SetReadDeadline(time.Now().Add(400 * time.Millisecond))
					if _, err := br.Peek(1); err == nil {
						results <- "cut off while sending"
						return
					}
					if _, err := c.Write([]byte("x")); err != nil {
						results <- "cut off while sending"
						return
					}
				}
				c.SetReadDeadline(time.Now().Add(servertest.IOTimeout))
			}
			resp, _, err := readResponseBody(br, "POST")
			if err != nil {
				results <- "error: " + err.Error()
				return
			}
			if _, err := br.ReadByte(); err == nil {
				results <- "not closed"
				return
			}
			results <- strconv.Itoa(resp.StatusCode)
		}()
	}
	wg.Wait()
	close(stop)
	served := answered()
	close(results)
	counts := map[string]int{}
	for r := range results {
		counts[r]++
	}
	t.Logf("slow body: outcomes %v; normal client answered %d requests meanwhile", counts, served)
	if counts["408"] != stallers+drippers {
		t.Errorf("got %v, want 408 and close for all %d", counts, stallers+drippers)
	}
	if served == 0 {
		t.Error("the normal client got nothing answered")
	}
	poll(t, "no partial upload left", func() string {
		ents, _ := os.ReadDir(filepath.Join(s.Dir, "store"))
		if len(ents) > 0 {
			return fmt.Sprintf("%d entries in the store, first %s", len(ents), ents[0].Name())
		}
		return ""
	})
	pollGoroutines(t, s, goroutines)
	poll(t, "descriptors back to baseline", func() string {
		if f := countFDs(t); f > fds {
			return fmt.Sprintf("%d descriptors, baseline %d", f, fds)
		}
		return ""
	})
}

// Slow readers: clients that ask for a large file and never read it. The
// socket buffers fill, send_timeout (1s) passes without progress, and the
// server closes; a normal client is answered meanwhile.
func TestSlowRead(t *testing.T) {
	const size = 32 << 20 // well past what loopback socket buffers hold
	s := servertest.Start(t, `
send_timeout 1s;
server { listen 127.0.0.1:$PORT0; root www; }
`, 1, map[string]string{"www/index.html": "home", "www/big.bin": strings.Repeat("x", size)})
	goroutines, _ := settle(t, s)
	heap0 := heapInUse()
	stop := make(chan struct{})
	answered := normalClient(t, s.Addrs[0], "/", "home", stop)

	const readers = 20
	conns := make([]net.Conn, readers)
	for i := range conns {
		conns[i] = s.Dial(t, 0)
		io.WriteString(conns[i], "GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n")
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	heapPeak := ms.HeapInuse
	// The server's connection goroutines end once send_timeout cuts the
	// readers off; only then may they read.
	poll(t, "server serving every reader", func() string {
		if g := serverGoroutines(s); g < goroutines+1+readers {
			return fmt.Sprintf("%d goroutines, want %d", g, goroutines+1+readers)
		}
		return ""
	})
	pollGoroutines(t, s, goroutines+1) // +1: the normal client
	close(stop)
	served := answered()
	for i, c := range conns {
		c.SetReadDeadline(time.Now().Add(servertest.IOTimeout))
		n, err := io.Copy(io.Discard, c)
		if err != nil && !errors.Is(err, syscall.ECONNRESET) {
			t.Errorf("reader %d: %v after %d bytes", i, err, n)
		}
		if n >= size {
			t.Errorf("reader %d got the whole file (%d bytes): not cut off", i, n)
		}
	}
	t.Logf("slow read: %d readers cut off by send_timeout; heap in use %.1f MiB before, %.1f MiB while they held on; normal client answered %d requests meanwhile",
		readers, float64(heap0)/mib, float64(heapPeak)/mib, served)
	if served == 0 {
		t.Error("the normal client got nothing answered")
	}
}

// Header sections just under client_max_header_size on many connections:
// each connection costs the server a bounded amount of memory, fixed by
// the read buffer (client_max_uri_length + client_max_header_size + 1 KiB),
// and all of it comes back when the clients go.
func TestHeaderFloodMemory(t *testing.T) {
	s := servertest.Start(t, `
client_header_timeout 30s;
server { listen 127.0.0.1:$PORT0; root www; }
`, 1, map[string]string{"www/index.html": "home"})
	n := connBudget(t, 2000)
	goroutines, _ := settle(t, s)
	heap0 := heapInUse()

	// 32 KiB is the default limit; stop 100 bytes short and leave the
	// head unfinished so that the server has to hold all of it.
	head := "GET / HTTP/1.1\r\nHost: x\r\nX-Fill: " + strings.Repeat("f", 32<<10-100) + "\r\n"
	conns := make([]net.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range n {
		c, err := net.DialTimeout("tcp", s.Addrs[0], servertest.IOTimeout)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(servertest.IOTimeout))
		conns = append(conns, c)
		if _, err := io.WriteString(c, head); err != nil {
			t.Fatal(err)
		}
	}
	// Wait until the server has read every head: its connection
	// goroutines are then all parked in Peek with the bytes buffered.
	poll(t, "server read every head", func() string {
		if g := serverGoroutines(s); g < goroutines+n {
			return fmt.Sprintf("%d goroutines, want %d", g, goroutines+n)
		}
		return ""
	})
	// Server and test both hold n sockets; only the server holds heads.
	var heapFull uint64
	poll(t, "heads buffered", func() string {
		heapFull = heapInUse()
		if heapFull-heap0 < uint64(n)*(32<<10) {
			return fmt.Sprintf("heap grew only %d KiB", (heapFull-heap0)>>10)
		}
		return ""
	})
	per := (int64(heapFull) - int64(heap0)) / int64(n)
	t.Logf("header flood: %d connections each holding a %d-byte unfinished head: heap in use %.1f MiB -> %.1f MiB, %.1f KiB per connection",
		n, len(head), float64(heap0)/mib, float64(heapFull)/mib, float64(per)/1024)
	if per > 64<<10 {
		t.Errorf("%d KiB per connection, want at most 64 KiB", per>>10)
	}
	// One more byte of header past the limit on each: 431 and close.
	over := strings.Repeat("g", 200)
	for i, c := range conns {
		// The deadline from the dial may have passed while the others
		// were filled (a loaded machine, the race detector).
		c.SetDeadline(time.Now().Add(servertest.IOTimeout))
		if _, err := io.WriteString(c, over); err != nil {
			t.Fatal(err)
		}
		if i%100 == 0 {
			resp, _, err := readResponseBody(bufio.NewReader(c), "GET")
			if err != nil || resp.StatusCode != 431 {
				t.Fatalf("over the limit: got %v %v, want 431", status(resp), err)
			}
		}
	}
	for _, c := range conns {
		c.Close()
	}
	conns = nil
	poll(t, "heap back to baseline", func() string {
		if h := heapInUse(); h > heap0+8*mib {
			return fmt.Sprintf("heap in use %.1f MiB, baseline %.1f MiB", float64(h)/mib, float64(heap0)/mib)
		}
		return ""
	})
}

// max_connections: past it, with every connection busy (here in the
// middle of a request head; idle ones would make room, see slots_test.go),
// new clients wait (they are not refused) and are served as soon as a
// slot frees.
func TestMaxConnectionsWait(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, `
max_connections 5;
server { listen 127.0.0.1:$PORT0; root www; }
`, 1, map[string]string{"www/index.html": "home"})
	var held []net.Conn
	for i := range 5 {
		c := s.Dial(t, 0)
		io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		r := servertest.ReadResponse(t, bufio.NewReader(c), "GET")
		if r.StatusCode != 200 || r.Close {
			t.Fatalf("connection %d: got %d close=%v", i, r.StatusCode, r.Close)
		}
		io.WriteString(c, "GET / HTTP/1.1\r\n") // busy: a second head begun
		held = append(held, c)
	}
	// The server has read each begun head (a connection whose bytes are
	// still on their way counts as idle, and reclaim may take it).
	poll(t, "five connections busy", func() string {
		if n := server.Busy(s.Srv); n != 5 {
			return fmt.Sprintf("%d busy", n)
		}
		return ""
	})
	sixth := s.Dial(t, 0) // completes in the kernel's backlog
	io.WriteString(sixth, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	br := bufio.NewReader(sixth)
	// Not refused and not answered while five connections are open.
	sixth.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
	_, err := br.Peek(1)
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("sixth client while full: got %v, want it to wait", err)
	}
	held[0].Close()
	sixth.SetReadDeadline(time.Now().Add(servertest.IOTimeout))
	r := servertest.ReadResponse(t, br, "GET")
	if r.StatusCode != 200 || string(r.Body) != "home" {
		t.Errorf("sixth client after a slot freed: got %d %q", r.StatusCode, r.Body)
	}
}

// EMFILE: with RLIMIT_NOFILE low, accept fails with EMFILE; the accept
// loop backs off instead of spinning, a request on a connection already
// accepted is answered 503 when its file cannot be opened, and service
// resumes once descriptors free up.
//
// The limit is per process, so the server runs in a child process (this
// test binary again, selected by an environment variable) while the
// clients stay here.
func TestAcceptEMFILE(t *testing.T) {
	if os.Getenv(emfileChildEnv) != "" {
		emfileChild(t)
		return
	}
	if _, err := os.Stat("/proc/self/fd"); err != nil {
		t.Skip("needs /proc")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestAcceptEMFILE$", "-test.count=1")
	cmd.Env = append(os.Environ(), emfileChildEnv+"=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		stdin.Close()
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("child: %v\n%s", err, stderr.String())
			}
		case <-time.After(servertest.IOTimeout):
			cmd.Process.Kill()
			<-exited
			t.Error("child did not exit")
		}
	})
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "EMFILE-CHILD "); ok {
				lines <- v
			}
		}
		close(lines)
	}()
	ask := func(cmd string) string {
		t.Helper()
		if cmd != "" {
			fmt.Fprintln(stdin, cmd)
		}
		select {
		case v, ok := <-lines:
			if !ok {
				t.Fatalf("child ended:\n%s", stderr.String())
			}
			return v
		case <-time.After(servertest.IOTimeout):
			t.Fatal("child did not answer")
		}
		return ""
	}
	addr := ask("")

	// A connection accepted while descriptors are still available.
	first, err := net.DialTimeout("tcp", addr, servertest.IOTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	first.SetDeadline(time.Now().Add(servertest.IOTimeout))
	fbr := bufio.NewReader(first)
	io.WriteString(first, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	if r := servertest.ReadResponse(t, fbr, "GET"); r.StatusCode != 200 {
		t.Fatalf("before the flood: got %d", r.StatusCode)
	}

	// Flood: more connections than the child has descriptors for.
	var flood []net.Conn
	defer func() {
		for _, c := range flood {
			c.Close()
		}
	}()
	for range 64 {
		c, err := net.DialTimeout("tcp", addr, servertest.IOTimeout)
		if err != nil {
			t.Fatal(err)
		}
		flood = append(flood, c)
	}
	poll(t, "accept hits EMFILE", func() string {
		if ask("emfile") == "0" {
			return "no EMFILE logged yet"
		}
		return ""
	})

	// Out of descriptors, a file cannot be opened: 503 (SPEC §3).
	io.WriteString(first, "GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n")
	if r := servertest.ReadResponse(t, fbr, "GET"); r.StatusCode != 503 {
		t.Errorf("at EMFILE: got %d, want 503", r.StatusCode)
	}

	// No spinning: CPU time used by the whole child over one second, and
	// how many accept errors it logged in that second.
	f := strings.Fields(ask("cpu"))
	cpu, _ := time.ParseDuration(f[0])
	retries, _ := strconv.Atoi(f[1])
	t.Logf("EMFILE: child used %v of CPU in 1s while at the limit, %d accept retries logged", cpu, retries)
	if cpu > 300*time.Millisecond {
		t.Errorf("child used %v of CPU in 1s at EMFILE: the accept loop spins", cpu)
	}
	if retries > 20 {
		t.Errorf("%d accept retries in 1s: no back-off", retries)
	}

	// Free the descriptors: the server accepts again (its back-off is at
	// most 1s).
	for _, c := range flood {
		c.Close()
	}
	flood = nil
	// The closed flood connections are still in the listen backlog: the
	// server accepts each (a descriptor) and closes it on EOF, so for a
	// moment files may still get 503. Service must come back on its own.
	poll(t, "service resumes after the flood", func() string {
		status, body, err := simpleGet(addr, "/index.html")
		if err != nil || status != 200 || body != "home" {
			return fmt.Sprintf("got %d %q %v, want 200 \"home\"", status, body, err)
		}
		return ""
	})
	io.WriteString(first, "GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n")
	if r := servertest.ReadResponse(t, fbr, "GET"); r.StatusCode != 200 {
		t.Errorf("first connection after the flood: got %d, want 200", r.StatusCode)
	}
	fmt.Fprintln(stdin, "quit")
}

const emfileChildEnv = "WEBSERV_TEST_EMFILE_CHILD"

// emfileChild is the server side of TestAcceptEMFILE: it serves with a
// descriptor limit a little above what it uses, prints its address, then
// answers the parent's commands on stdin until "quit" or EOF.
func emfileChild(t *testing.T) {
	s := servertest.Start(t, `
client_header_timeout 60s;
server { listen 127.0.0.1:$PORT0; root www; }
`, 1, map[string]string{"www/index.html": "home"})
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &old); err != nil {
		t.Fatal(err)
	}
	// Room for a few connections and the index file, not for the flood.
	lim := old
	setRlimit(&lim.Cur, countFDs(t)+8)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Setrlimit(syscall.RLIMIT_NOFILE, &old) })

	emfiles := func() int { return strings.Count(s.Log.String(), "too many open files") }
	fmt.Printf("EMFILE-CHILD %s\n", s.Addrs[0])
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		switch sc.Text() {
		case "emfile":
			fmt.Printf("EMFILE-CHILD %d\n", emfiles())
		case "cpu":
			before, n0 := cpuTime(t), emfiles()
			time.Sleep(time.Second) // the measurement window
			fmt.Printf("EMFILE-CHILD %v %d\n", cpuTime(t)-before, emfiles()-n0)
		case "quit":
			return
		}
	}
}

// setRlimit sets a field of syscall.Rlimit, which is uint64 on Linux and
// macOS but int64 on FreeBSD.
func setRlimit[T int64 | uint64](f *T, n int) { *f = T(n) }

func cpuTime(t *testing.T) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
