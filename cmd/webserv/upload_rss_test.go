package main

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// A 1 GiB body streamed into the built server (SPEC §4: bodies stream from
// the socket to disk through a fixed-size buffer; the issue: "a 10 GiB
// upload must cost the server no more memory than a 10 KiB one").
// internal/server's TestUploadStreamed1GiB (WEBSERV_BIG=1) does the same
// in-process; scripts/upload-rss.sh measures it outside the test suite and
// prints throughput.

// bigUpload is the size of the streamed upload the issue asks for.
const bigUpload = 1 << 30

// uploadRSSLimitKiB is the most the server's peak RSS may grow while
// storing the 1 GiB body: the bound.
const uploadRSSLimitKiB = 16 << 10

// bigUploadTimeout bounds the one PUT: 1 GiB over loopback on a loaded
// 2-core machine, the sender hashing what it sends.
const bigUploadTimeout = 2 * time.Minute

// pattern yields n bytes: a pseudo-random block of prime length repeated,
// so that a lost, repeated or misplaced buffer changes the SHA-256. It is
// generated on the fly; no 1 GiB file is written on the sending side.
type pattern struct {
	block []byte
	off   int
	n     int64
}

func newPattern(n int64) *pattern {
	block := make([]byte, 65521)
	rand.NewChaCha8([32]byte{3}).Read(block)
	return &pattern{block: block, n: n}
}

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

// TestUploadPeakRSS runs the binary, streams a 1 GiB body into it and reads
// the process's peak resident set (VmHWM in /proc/PID/status, proc(5))
// before and after: it must grow by less than 16 MiB. The stored file must
// hash to what was sent. The body goes with Content-Length from Go's
// client: under -race the test process is the bottleneck, and this is its
// fastest sender (chunked through Go's client or curl's stdin took twice
// as long); scripts/upload-rss.sh measures the chunked case.
func TestUploadPeakRSS(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the 1 GiB upload")
	}
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skipf("peak RSS is read from Linux's /proc: %v", err)
	}
	t.Parallel()
	addr := freeAddr(t)
	conf := writeConf(t, "error_log stderr warn;\nserver {\n    listen "+addr+";\n    root www;\n"+
		"    location /up/ {\n        upload_store store;\n        methods GET PUT DELETE;\n        client_max_body_size 0;\n    }\n}\n")
	store := filepath.Join(filepath.Dir(conf), "store")
	if err := os.Mkdir(store, 0o755); err != nil {
		t.Fatal(err)
	}
	srv := startBinary(t, addr, conf)
	pid := srv.cmd.Process.Pid
	url := "http://" + addr + "/up/big.bin"

	before := vmHWM(t, pid)
	h := sha256.New()
	req, err := http.NewRequest("PUT", url, io.NopCloser(io.TeeReader(newPattern(bigUpload), h)))
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = bigUpload
	client := &http.Client{Timeout: bigUploadTimeout}
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	d := time.Since(start)
	t.Logf("%d bytes in %v, %.0f MiB/s (informational, not asserted)", bigUpload, d.Round(time.Millisecond),
		float64(bigUpload)/d.Seconds()/(1<<20))
	after := vmHWM(t, pid)
	if resp.StatusCode != 201 {
		t.Fatalf("got %d, want 201", resp.StatusCode)
	}
	growth := after - before
	t.Logf("peak RSS (VmHWM) %d KiB before, %d KiB after: grew %d KiB", before, after, growth)
	if growth >= uploadRSSLimitKiB {
		t.Errorf("peak RSS grew by %d KiB storing %d bytes, want < %d KiB", growth, bigUpload, uploadRSSLimitKiB)
	}

	stored := filepath.Join(store, "big.bin")
	f, err := os.Open(stored)
	if err != nil {
		t.Fatal(err)
	}
	sh := sha256.New()
	n, err := io.Copy(sh, f)
	f.Close()
	if err != nil || n != bigUpload {
		t.Fatalf("stored file: %d bytes, %v; want %d bytes", n, err, bigUpload)
	}
	if got, sent := hex.EncodeToString(sh.Sum(nil)), hex.EncodeToString(h.Sum(nil)); got != sent {
		t.Errorf("stored SHA-256 %s, sent %s", got, sent)
	}
	del, _ := http.NewRequest("DELETE", url, nil)
	resp, err = client.Do(del)
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
