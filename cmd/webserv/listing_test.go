package main

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// vmHWM returns the peak resident set size of process pid in KiB
// (proc(5): VmHWM in /proc/PID/status).
func vmHWM(t *testing.T, pid int) int {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kib, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			if err != nil {
				t.Fatalf("VmHWM %q: %v", v, err)
			}
			return kib
		}
	}
	t.Fatal("no VmHWM in /proc/PID/status")
	return 0
}

// Issue 14 item 8: concurrent listings of a big directory cost the server
// memory that does not grow with the directory. Built whole, ten listings
// of 30,000 entries raised the peak RSS by hundreds of MiB; streamed, by a
// few. (scripts/listing-rss.sh measures the 100,000 × 20.)
func TestListingMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("creates 30,000 files")
	}
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skipf("peak RSS is read from Linux's /proc: %v", err)
	}
	t.Parallel()
	const entries, concurrent = 30000, 10
	// limitKiB leaves room for the runtime's own growth (buffers, stacks,
	// GC pacing) while far below what whole pages cost.
	const limitKiB = 32 << 10

	addr := freeAddr(t)
	p := writeConf(t, "error_log stderr warn;\nserver {\n    listen "+addr+";\n    root www;\n    location /big/ { autoindex on; }\n}\n")
	big := filepath.Join(filepath.Dir(p), "www", "big")
	if err := os.Mkdir(big, 0o755); err != nil {
		t.Fatal(err)
	}
	for i := range entries {
		f, err := os.Create(filepath.Join(big, fmt.Sprintf("file-%07d.txt", i)))
		if err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	srv := startBinary(t, addr, p)
	pid := srv.cmd.Process.Pid
	client := &http.Client{Timeout: 60 * time.Second}
	get := func() (int, int64, error) {
		resp, err := client.Get("http://" + addr + "/big/")
		if err != nil {
			return 0, 0, err
		}
		defer resp.Body.Close()
		n, err := io.Copy(io.Discard, resp.Body)
		return resp.StatusCode, n, err
	}
	code, n, err := get()
	if err != nil || code != 200 {
		t.Fatalf("listing: %d, %v", code, err)
	}
	before := vmHWM(t, pid)

	var wg sync.WaitGroup
	errs := make(chan error, concurrent)
	for range concurrent {
		wg.Go(func() {
			code, m, err := get()
			if err == nil && (code != 200 || m != n) {
				err = fmt.Errorf("got %d with %d bytes, want 200 with %d", code, m, n)
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	after := vmHWM(t, pid)
	t.Logf("%d concurrent listings of %d entries (%d bytes each): peak RSS %d KiB before, %d KiB after", concurrent, entries, n, before, after)
	if after-before > limitKiB {
		t.Errorf("peak RSS grew by %d KiB, want under %d KiB", after-before, limitKiB)
	}
}
