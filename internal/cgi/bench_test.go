package cgi

import (
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"webserv/internal/http1"
)

// BenchmarkServe runs bench/cgi.sh's script (a shell printing a header and
// a line) through Runner.Serve, and reports the server's own CPU per request
// (getrusage of this process: the programs' CPU is their own) beside the
// wall-clock time, which the programs and other load dominate.
func BenchmarkServe(b *testing.B) {
	dir := b.TempDir()
	file := filepath.Join(dir, "hello.sh")
	if err := os.WriteFile(file, []byte("#!/bin/sh\nprintf 'Content-Type: text/plain\\r\\n\\r\\nhello\\n'\n"), 0o755); err != nil {
		b.Fatal(err)
	}
	s := &Script{Name: "/hello.sh", File: file, DocumentRoot: dir, Interpreter: "/bin/sh"}
	req := newReq("GET", "/hello.sh", 1, "Host", "localhost")
	var w http1.ResponseWriter
	rn := &Runner{}
	var ru0, ru1 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	for b.Loop() {
		w.Reset(io.Discard, 1, false, true)
		r := &Request{Req: req, Script: s, RemoteAddr: "127.0.0.1:4242", LocalAddr: "127.0.0.1:8080", ServerName: "localhost", Timeout: 10 * time.Second}
		if redirect, err := rn.Serve(&w, r); err != nil || redirect != "" {
			b.Fatal(err, redirect)
		}
		if err := w.Finish(); err != nil {
			b.Fatal(err)
		}
	}
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	cpu := time.Duration(ru1.Utime.Nano() - ru0.Utime.Nano() + ru1.Stime.Nano() - ru0.Stime.Nano())
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/op")
}
