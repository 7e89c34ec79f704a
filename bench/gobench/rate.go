package main

import (
	"bufio"
	"flag"
	"fmt"
	"net"
	"net/url"
	"slices"
	"sync"
	"time"
)

// rate sends GET for the URL at a fixed total rate on c keep-alive
// connections for d, an open-loop load as wrk2 makes: request i is due at
// start + i/rate and connection i mod c sends it. At a rate below both
// servers' ceiling, the latencies compare servers at the same load,
// where a closed loop (wrk) at saturation hands the faster server more
// requests per second and so more queueing in the client and the kernel
// (Little's law: concurrency / throughput is the mean latency).
//
// A request sent late because its connection was still waiting for the
// answer before has its latency counted from when it was due: that wait
// is the server's (no coordinated omission); such sends more than
// lateSlack behind are counted as late. A request the client slept for
// is counted from when it was written: the sleep may overshoot (Go's
// timers wake up to about 1 ms late on an idle machine), and that is the
// client's.
//
// It prints "requests N late L p50 X p90 X p99 X p999 X max X", the
// latencies in µs.
func rate(args []string) error {
	fs := flag.NewFlagSet("rate", flag.ExitOnError)
	rawURL := fs.String("url", "", "URL to ask for")
	c := fs.Int("c", 50, "connections")
	d := fs.Duration("d", 5*time.Second, "duration")
	perSec := fs.Float64("rate", 20000, "requests per second, all connections together")
	fs.Parse(args)
	u, err := url.Parse(*rawURL)
	if err != nil || u.Host == "" {
		return fmt.Errorf("bad -url %q", *rawURL)
	}
	if *c < 1 || *perSec <= 0 {
		return fmt.Errorf("-c and -rate must be positive")
	}
	req := []byte("GET " + u.RequestURI() + " HTTP/1.1\r\nHost: " + u.Host + "\r\n\r\n")

	// Dial first, so that connection set-up is not in the latencies.
	conns := make([]net.Conn, *c)
	for k := range conns {
		if conns[k], err = net.DialTimeout("tcp", u.Host, ioTimeout); err != nil {
			return err
		}
		defer func() { conns[k].Close() }()
	}
	total := int(d.Seconds() * *perSec)
	start := time.Now().Add(10 * time.Millisecond)
	lats := make([][]time.Duration, *c)
	late := make([]int, *c)
	errs := make([]error, *c)
	var wg sync.WaitGroup
	for k := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lats[k] = make([]time.Duration, 0, total / *c + 1)
			late[k], errs[k] = rateConn(u.Host, &conns[k], req, start, *perSec, k, *c, total, &lats[k])
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	var all []time.Duration
	nlate := 0
	for k := range lats {
		all = append(all, lats[k]...)
		nlate += late[k]
	}
	if len(all) == 0 {
		return fmt.Errorf("no responses")
	}
	slices.Sort(all)
	q := func(p float64) int64 { return all[min(len(all)-1, int(p*float64(len(all))))].Microseconds() }
	fmt.Printf("requests %d late %d p50 %d p90 %d p99 %d p999 %d max %d\n",
		len(all), nlate, q(0.50), q(0.90), q(0.99), q(0.999), all[len(all)-1].Microseconds())
	return nil
}

// lateSlack is how far behind its due time a send may start before it
// counts as late.
const lateSlack = time.Millisecond

// rateConn sends requests k, k+step, k+2*step, ... below total on *cp, each
// at its due time (request i at i/perSec s after start), and appends each
// one's latency to lats. A response that closes the connection
// (keepalive_requests) is followed by a new one.
func rateConn(addr string, cp *net.Conn, req []byte, start time.Time, perSec float64, k, step, total int, lats *[]time.Duration) (late int, err error) {
	br := bufio.NewReaderSize(*cp, 64<<10)
	for i := k; i < total; i += step {
		due := start.Add(time.Duration(float64(i) * float64(time.Second) / perSec))
		from := due
		if wait := time.Until(due); wait > 0 {
			time.Sleep(wait)
			from = time.Now()
		} else if -wait > lateSlack {
			late++
		}
		c := *cp
		c.SetDeadline(time.Now().Add(ioTimeout))
		if _, err := c.Write(req); err != nil {
			return late, err
		}
		n, closing, err := readHeadFields(br)
		if err != nil {
			return late, err
		}
		if _, err := br.Discard(int(n)); err != nil {
			return late, err
		}
		*lats = append(*lats, time.Since(from))
		if closing {
			nc, err := net.DialTimeout("tcp", addr, ioTimeout)
			if err != nil {
				return late, err // *cp, closed by rate, stays the old one
			}
			c.Close()
			*cp = nc
			br.Reset(nc)
		}
	}
	return late, nil
}
