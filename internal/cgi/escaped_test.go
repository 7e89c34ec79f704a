package cgi

import (
	"bytes"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"webserv/internal/http1"
)

// A program that is done at once but leaves a process outside its group
// (setsid) that keeps writing to the inherited stderr must not hold
// Serve longer than stderrGrace.
func TestServeEscapedStderrFlood(t *testing.T) {
	if _, err := exec.LookPath("setsid"); err != nil {
		t.Skip("setsid not installed")
	}
	s := shScript(t, `setsid yes </dev/null >&2 & echo $! > pids; sleep 0.05; printf 'Content-Type: text/plain\n\nok'`)
	defer func() {
		if b, err := os.ReadFile(filepath.Join(filepath.Dir(s.File), "pids")); err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid > 1 {
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	}()
	var rn Runner
	done := make(chan error, 1)
	start := time.Now()
	go func() {
		var w http1.ResponseWriter
		var buf bytes.Buffer
		w.Reset(&buf, 1, false, true)
		_, err := rn.Serve(&w, &Request{Req: newReq("GET", "/s.sh", 1), Script: s,
			Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
		done <- err
	}()
	select {
	case err := <-done:
		t.Logf("Serve returned after %v: %v", time.Since(start), err)
	case <-time.After(10 * time.Second):
		t.Fatal("Serve still running 10s after the program ended (stderrGrace is 1s)")
	}
}
