package h2_test

import (
	"net"
	"runtime"
	"testing"
	"time"

	"golang.org/x/net/http2"
)

// BenchmarkIdleConnMemory reports the heap an idle HTTP/2 connection
// holds after one request has been answered, server side (the client's
// side is its net.Conn only): the figure issue 20 asks beside HTTP/1.1's.
// Run with -benchtime=1x: it opens 500 connections whatever b.N.
func BenchmarkIdleConnMemory(b *testing.B) {
	ts := startServer(b, nil, newTestHandler(b), false)
	const n = 500
	conns := make([]net.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := 0; i < n; i++ {
		rc := dialRaw(b, ts)
		rc.request(1, "/", true)
		rc.response(1)
		rc.nc.SetDeadline(time.Time{})
		conns = append(conns, rc.nc) // the framer and encoder go
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "heapB/conn")
	b.ReportMetric(float64(after.StackInuse-before.StackInuse)/n, "stackB/conn")
	_ = http2.ClientPreface
}
