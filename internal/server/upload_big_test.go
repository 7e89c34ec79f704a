package server_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"webserv/internal/servertest"
)

// A 1 GiB body streamed from a Go io.Reader (SPEC §4: bodies stream from
// the socket to disk through a fixed-size buffer; the issue: "a 10 GiB
// upload must cost the server no more memory than a 10 KiB one").
//
// Cost, measured on the 2-core development machine (shared, so it varies
// with load):
//   - TestUploadPeakRSS (cmd/webserv, with the tests that run the built
//     binary), one 1 GiB PUT: 10 to 16 s under -race, the build included.
//     It runs by default (skipped with -short) and is the suite's check of
//     the 1 GiB body: SHA-256 and peak RSS.
//   - TestUploadStreamed1GiB, the in-process server under -race, two
//     1 GiB PUTs (Content-Length and chunked): 29 s idle, 39 s loaded, not
//     "well under 30 s", so it only runs with WEBSERV_BIG=1.
// scripts/upload-rss.sh measures the same outside the test suite and
// prints throughput.

// bigSize is the size of the streamed upload the issue asks for.
const bigSize = 1 << 30

// pattern yields n bytes: a pseudo-random block of prime length repeated,
// so that a lost, repeated or misplaced buffer changes the SHA-256. It is
// generated on the fly; no 1 GiB file is written on the sending side.
type pattern struct {
	block []byte
	off   int
	n     int64
}

func newPattern(n int64) *pattern { return &pattern{block: randomBytes(65521, 3), n: n} }

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

// putBig PUTs bigSize pattern bytes to url with Go's client, with
// Content-Length when length is set, else chunked (RFC 9112 §7.1), and
// returns the status and the SHA-256 of what was sent, computed while
// sending.
func putBig(t *testing.T, url string, length bool) (int, string) {
	t.Helper()
	h := sha256.New()
	req, err := http.NewRequest("PUT", url, io.NopCloser(io.TeeReader(newPattern(bigSize), h)))
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = -1
	if length {
		req.ContentLength = bigSize
	}
	c := servertest.Client()
	c.Timeout = curlTimeout
	start := time.Now()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	d := time.Since(start)
	t.Logf("%d bytes in %v, %.0f MiB/s (informational, not asserted)", bigSize, d.Round(time.Millisecond),
		float64(bigSize)/d.Seconds()/(1<<20))
	return resp.StatusCode, hex.EncodeToString(h.Sum(nil))
}

// checkBig checks the stored file against the sent digest and removes it
// with DELETE.
func checkBig(t *testing.T, stored, sentSHA, deleteURL string) {
	t.Helper()
	fi, err := os.Stat(stored)
	if err != nil || fi.Size() != bigSize {
		t.Fatalf("stored file: %v, want %d bytes", err, bigSize)
	}
	if got := fileSHA(t, stored); got != sentSHA {
		t.Errorf("stored SHA-256 %s, sent %s", got, sentSHA)
	}
	req, _ := http.NewRequest("DELETE", deleteURL, nil)
	resp, err := servertest.Client().Do(req)
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

// TestUploadStreamed1GiB streams 1 GiB into the in-process server (under
// -race when the suite is) with Content-Length through Go's client, and
// chunked through curl -T - (curl reads the body from its stdin, so it
// cannot know the length) when curl is installed.
func TestUploadStreamed1GiB(t *testing.T) {
	t.Parallel()
	if os.Getenv("WEBSERV_BIG") != "1" {
		t.Skip("set WEBSERV_BIG=1 to run (about 30 s under -race on 2 cores); TestUploadPeakRSS stores a 1 GiB body by default")
	}
	s := startCurl(t)
	stored := filepath.Join(s.Dir, "store", "big.bin")
	url := s.URL(0, "/up/big.bin")
	t.Run("content-length/go", func(t *testing.T) {
		status, sent := putBig(t, url, true)
		if status != 201 {
			t.Fatalf("got %d, want 201", status)
		}
		checkBig(t, stored, sent, url)
	})
	t.Run("chunked/curl", func(t *testing.T) {
		needCurl(t)
		h := sha256.New()
		status, body := runCurl(t, io.TeeReader(newPattern(bigSize), h), "-T", "-", url)
		if status != 201 {
			t.Fatalf("got %d %s, want 201", status, body)
		}
		checkBig(t, stored, hex.EncodeToString(h.Sum(nil)), url)
	})
	if got := storeFiles(t, s); len(got) != 0 {
		t.Errorf("store holds %q after the deletes", got)
	}
}
