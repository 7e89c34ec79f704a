// Command gobench is the load client bench/run.sh uses where wrk does not
// fit: bulk throughput of one large file (wrk's Lua-less reader tops out
// below the server on this machine), many idle keep-alive connections, and
// HEAD requests (wrk waits for the body a HEAD response announces).
//
//	gobench throughput -url http://127.0.0.1:8080/1g.bin -c 4 -d 10s
//	gobench idle -addr 127.0.0.1:8080 -path /1k.html -n 10000
//	gobench head -url http://127.0.0.1:8080/sub/20k.bin -c 50 -d 5s
//
// head sends HEAD for the URL over and over on c keep-alive connections
// for d and prints "requests N seconds S": the responses completed and
// the time taken.
//
// throughput fetches the URL over and over on c keep-alive connections for
// d and prints "MB/s VALUE" (10^6 bytes of body per second). idle opens n
// connections, sends one request on each, reads the response and holds the
// connection open; it prints "ready N" once N responses are in, then holds
// them until SIGTERM or SIGINT (or exits at once with -hold=false). With
// -h2c it speaks HTTP/2 with prior knowledge (RFC 9113 §3.3) instead: one
// request on stream 1 of each connection.
//
// Every socket operation has a deadline; the client speaks just enough
// HTTP/1.1 for these two jobs (Content-Length bodies, no chunked).
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// ioTimeout bounds every read and write.
const ioTimeout = 30 * time.Second

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "throughput":
		err = throughput(os.Args[2:])
	case "idle":
		err = idle(os.Args[2:])
	case "head":
		err = head(os.Args[2:])
	case "rate":
		err = rate(os.Args[2:]) // rate.go
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gobench:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: gobench throughput -url URL [-c N] [-d DURATION]\n       gobench idle -addr HOST:PORT [-path PATH] [-n N]\n       gobench head -url URL [-c N] [-d DURATION]\n       gobench rate -url URL [-c N] [-d DURATION] [-rate PER_SECOND]")
	os.Exit(2)
}

func throughput(args []string) error {
	total, elapsed, err := load("throughput", "GET", 4, 10*time.Second, fetchLoop, args)
	if err != nil {
		return err
	}
	fmt.Printf("MB/s %.1f\n", float64(total)/elapsed.Seconds()/1e6)
	return nil
}

func head(args []string) error {
	total, elapsed, err := load("head", "HEAD", 50, 5*time.Second, headLoop, args)
	if err != nil {
		return err
	}
	fmt.Printf("requests %d seconds %.3f\n", total, elapsed.Seconds())
	return nil
}

// load parses the -url, -c and -d flags of mode, runs loop on that many
// connections until the duration is over, each adding to one total (bytes
// or requests, as loop counts), and returns the total and the time taken.
func load(mode, method string, conns int, dur time.Duration, loop func(host string, req []byte, end time.Time, total *atomic.Int64) error, args []string) (int64, time.Duration, error) {
	fs := flag.NewFlagSet(mode, flag.ExitOnError)
	rawURL := fs.String("url", "", "URL to ask for")
	c := fs.Int("c", conns, "connections")
	d := fs.Duration("d", dur, "duration")
	fs.Parse(args)
	u, err := url.Parse(*rawURL)
	if err != nil || u.Host == "" {
		return 0, 0, fmt.Errorf("bad -url %q", *rawURL)
	}
	req := []byte(method + " " + u.RequestURI() + " HTTP/1.1\r\nHost: " + u.Host + "\r\n\r\n")

	var total atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, *c)
	start := time.Now()
	end := start.Add(*d)
	for range *c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := loop(u.Host, req, end, &total); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(errs)
	for err := range errs {
		return 0, 0, err
	}
	return total.Load(), elapsed, nil
}

// headLoop sends the HEAD request on one connection until end, counting
// every complete response (a head: no body follows, RFC 9110 §9.3.2). A
// response that closes the connection (keepalive_requests reached) is
// counted, and the loop goes on on a new connection, as wrk does.
func headLoop(addr string, req []byte, end time.Time, total *atomic.Int64) error {
	for time.Now().Before(end) {
		if err := headConn(addr, req, end, total); err != nil {
			return err
		}
	}
	return nil
}

// headConn is headLoop on one connection, until end or its close.
func headConn(addr string, req []byte, end time.Time, total *atomic.Int64) error {
	c, err := net.DialTimeout("tcp", addr, ioTimeout)
	if err != nil {
		return err
	}
	defer c.Close()
	br := bufio.NewReaderSize(c, 16<<10)
	for time.Now().Before(end) {
		c.SetDeadline(time.Now().Add(ioTimeout))
		if _, err := c.Write(req); err != nil {
			return err
		}
		closing, err := readHeadClose(br)
		if err != nil {
			return err
		}
		total.Add(1)
		if closing {
			return nil
		}
	}
	return nil
}

// fetchLoop requests the file on one connection until end, adding every
// body byte received to total as it arrives (so a transfer cut by the end
// still counts what it moved).
func fetchLoop(addr string, req []byte, end time.Time, total *atomic.Int64) error {
	c, err := net.DialTimeout("tcp", addr, ioTimeout)
	if err != nil {
		return err
	}
	defer c.Close()
	br := bufio.NewReaderSize(c, 64<<10)
	buf := make([]byte, 1<<20)
	for time.Now().Before(end) {
		c.SetDeadline(time.Now().Add(ioTimeout))
		if _, err := c.Write(req); err != nil {
			return err
		}
		n, err := readHead(br)
		if err != nil {
			return err
		}
		// Stop at end even mid-body: the connection is then abandoned.
		c.SetReadDeadline(end)
		for n > 0 {
			m, err := br.Read(buf[:min(int64(len(buf)), n)])
			total.Add(int64(m))
			n -= int64(m)
			if err != nil {
				if errors.Is(err, os.ErrDeadlineExceeded) {
					return nil
				}
				return err
			}
		}
	}
	return nil
}

// readHead reads a response head and returns its Content-Length. Anything
// but a 200 with a Content-Length is an error.
func readHead(br *bufio.Reader) (int64, error) {
	n, _, err := readHeadFields(br)
	return n, err
}

// readHeadClose is readHead for a HEAD request: it reports whether the
// response closes the connection ("Connection: close").
func readHeadClose(br *bufio.Reader) (bool, error) {
	_, closing, err := readHeadFields(br)
	return closing, err
}

func readHeadFields(br *bufio.Reader) (int64, bool, error) {
	closing := false
	line, err := br.ReadSlice('\n')
	if err != nil {
		return 0, false, err
	}
	if !bytes.HasPrefix(line, []byte("HTTP/1.1 200 ")) {
		return 0, false, fmt.Errorf("unexpected status line %q", bytes.TrimSpace(line))
	}
	n := int64(-1)
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return 0, false, err
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			break
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if ok && bytes.EqualFold(name, []byte("Connection")) && bytes.EqualFold(bytes.TrimSpace(value), []byte("close")) {
			closing = true
		}
		if ok && bytes.EqualFold(name, []byte("Content-Length")) {
			n, err = strconv.ParseInt(string(bytes.TrimSpace(value)), 10, 64)
			if err != nil {
				return 0, false, fmt.Errorf("bad Content-Length %q", value)
			}
		}
	}
	if n < 0 {
		return 0, false, errors.New("response without Content-Length")
	}
	return n, closing, nil
}

func idle(args []string) error {
	fs := flag.NewFlagSet("idle", flag.ExitOnError)
	addr := fs.String("addr", "", "server HOST:PORT")
	path := fs.String("path", "/", "path to request on each connection")
	n := fs.Int("n", 10000, "connections to hold open")
	par := fs.Int("p", 64, "connections being opened at a time")
	hold := fs.Bool("hold", true, "hold the connections until SIGTERM or SIGINT")
	h2c := fs.Bool("h2c", false, "speak HTTP/2 with prior knowledge")
	fs.Parse(args)
	req := []byte("GET " + *path + " HTTP/1.1\r\nHost: " + *addr + "\r\n\r\n")
	open := openOne
	if *h2c {
		req = h2Request(*addr, *path)
		open = openOneH2
	}

	conns := make([]net.Conn, *n)
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, *par)
	for range *par {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(*n) {
					return
				}
				c, err := open(*addr, req)
				if err != nil {
					errs <- fmt.Errorf("connection %d: %w", i, err)
					return
				}
				conns[i] = c
			}
		}()
	}
	wg.Wait()
	close(errs)
	defer func() {
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
	}()
	for err := range errs {
		return err
	}
	if !*hold {
		fmt.Printf("ready %d\n", len(conns))
		return nil
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	fmt.Printf("ready %d\n", len(conns))
	<-sigs
	return nil
}

// openOne dials addr, sends req and reads the whole response, leaving the
// connection idle between requests.
func openOne(addr string, req []byte) (net.Conn, error) {
	c, err := net.DialTimeout("tcp", addr, ioTimeout)
	if err != nil {
		return nil, err
	}
	c.SetDeadline(time.Now().Add(ioTimeout))
	if _, err := c.Write(req); err != nil {
		c.Close()
		return nil, err
	}
	br := bufio.NewReaderSize(c, 4096)
	n, err := readHead(br)
	if err == nil {
		_, err = io.CopyN(io.Discard, br, n)
	}
	if err == nil && br.Buffered() > 0 {
		err = errors.New("bytes after the response")
	}
	if err != nil {
		c.Close()
		return nil, err
	}
	c.SetDeadline(time.Time{}) // idle until told to stop
	return c, nil
}

// h2Request is the client preface, an empty SETTINGS frame and the
// HEADERS frame of a GET for path on stream 1.
func h2Request(addr, path string) []byte {
	var block, out bytes.Buffer
	enc := hpack.NewEncoder(&block)
	for _, f := range [][2]string{{":method", "GET"}, {":scheme", "http"}, {":authority", addr}, {":path", path}} {
		enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
	}
	out.WriteString(http2.ClientPreface)
	fr := http2.NewFramer(&out, nil)
	fr.WriteSettings()
	fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: block.Bytes(), EndStream: true, EndHeaders: true})
	return out.Bytes()
}

// openOneH2 is openOne for HTTP/2: it sends req (h2Request), acknowledges
// the server's SETTINGS and reads frames until stream 1 ends.
func openOneH2(addr string, req []byte) (net.Conn, error) {
	c, err := net.DialTimeout("tcp", addr, ioTimeout)
	if err != nil {
		return nil, err
	}
	c.SetDeadline(time.Now().Add(ioTimeout))
	fail := func(err error) (net.Conn, error) {
		c.Close()
		return nil, err
	}
	if _, err := c.Write(req); err != nil {
		return fail(err)
	}
	fr := http2.NewFramer(c, bufio.NewReaderSize(c, 4096))
	for ended := false; !ended; {
		f, err := fr.ReadFrame()
		if err != nil {
			return fail(err)
		}
		switch f := f.(type) {
		case *http2.SettingsFrame:
			if !f.IsAck() {
				if err := fr.WriteSettingsAck(); err != nil {
					return fail(err)
				}
			}
		case *http2.HeadersFrame:
			ended = f.StreamID == 1 && f.StreamEnded()
		case *http2.DataFrame:
			ended = f.StreamID == 1 && f.StreamEnded()
		case *http2.RSTStreamFrame:
			return fail(fmt.Errorf("stream reset: %v", f.ErrCode))
		case *http2.GoAwayFrame:
			return fail(fmt.Errorf("GOAWAY: %v", f.ErrCode))
		}
	}
	c.SetDeadline(time.Time{}) // idle until told to stop
	return c, nil
}
