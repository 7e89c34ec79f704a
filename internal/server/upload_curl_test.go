package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"webserv/internal/servertest"
)

// Uploads with real clients (SPEC §4): curl's three ways of sending a file
// (-F multipart/form-data, RFC 7578; -T, a PUT, RFC 9110 §9.3.4;
// --data-binary, a raw POST, RFC 9110 §9.3.3), for 0 B, 1 B and 1 MiB
// bodies; the 1 GiB body is in upload_big_test.go. The stored bytes must
// equal the sent bytes: every check compares SHA-256 digests.

// curlConf has no body size limit, so that a 1 GiB body is accepted.
const curlConf = `
server {
    listen 127.0.0.1:$PORT0;
    root www;
    location /up/ {
        upload_store store;
        methods GET POST PUT DELETE;
        client_max_body_size 0;
    }
}
`

func startCurl(t *testing.T) *servertest.Server {
	t.Helper()
	return servertest.Start(t, curlConf, 1, map[string]string{"www/": "", "store/": ""})
}

// needCurl skips the test when curl is not installed.
func needCurl(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl not found in PATH: skipping the curl upload tests (CI installs curl; apt-get install curl)")
	}
}

// curlTimeout bounds one curl run; the 1 GiB upload needs the most.
const curlTimeout = 2 * time.Minute

// runCurl runs curl with args (plus options that make it quiet, ignore
// proxy settings of the environment and ask for a JSON summary), feeding
// it stdin, and returns the response status and body.
func runCurl(t *testing.T, stdin io.Reader, args ...string) (int, []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), curlTimeout)
	defer cancel()
	all := append([]string{"-sS", "--noproxy", "*", "--max-time", strconv.Itoa(int(curlTimeout / time.Second)),
		"-H", "Accept: application/json", "-w", "\n%{http_code}"}, args...)
	cmd := exec.CommandContext(ctx, "curl", all...)
	cmd.Stdin = stdin
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("curl %q: %v\n%s", args, err, stderr.Bytes())
	}
	out := stdout.Bytes()
	i := bytes.LastIndexByte(out, '\n')
	status, err := strconv.Atoi(string(out[i+1:]))
	if i < 0 || err != nil {
		t.Fatalf("curl %q: no status in %q", args, out)
	}
	return status, out[:i]
}

// uploadSummary is the JSON body of a 201 (internal/upload's response).
type uploadSummary struct {
	Files []struct {
		Name string `json:"name"`
		Size int64  `json:"size"`
		URL  string `json:"url"`
	} `json:"files"`
}

func sha(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func fileSHA(t *testing.T, name string) string {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// randomBytes returns n reproducible pseudo-random bytes (a zero-filled
// body would not show bytes moved to the wrong offset).
func randomBytes(n int, seed uint64) []byte {
	b := make([]byte, n)
	rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8)}).Read(b)
	return b
}

func TestCurlUploads(t *testing.T) {
	t.Parallel()
	needCurl(t)
	type sent struct{ name, sha string }
	for _, size := range []int{0, 1, 1 << 20} {
		for _, mode := range []string{"multipart", "put", "raw"} {
			t.Run(fmt.Sprintf("%s/%dB", mode, size), func(t *testing.T) {
				s := startCurl(t)
				dir := t.TempDir()
				a, b := randomBytes(size, 1), randomBytes(size, 2)
				fa, fb := filepath.Join(dir, "a.bin"), filepath.Join(dir, "b.bin")
				os.WriteFile(fa, a, 0o644)
				os.WriteFile(fb, b, 0o644)

				var args []string
				var want []sent
				wantStatus := 201
				switch mode {
				case "multipart": // two files in one request; curl sends each file's base name
					args = []string{"-F", "f1=@" + fa, "-F", "f2=@" + fb, "-F", "note=not a file", s.URL(0, "/up/")}
					want = []sent{{"a.bin", sha(a)}, {"b.bin", sha(b)}}
				case "put":
					args = []string{"-T", fa, s.URL(0, "/up/put.bin")}
					want = []sent{{"put.bin", sha(a)}}
				case "raw":
					args = []string{"--data-binary", "@" + fa, "-H", "Content-Type: application/octet-stream", s.URL(0, "/up/raw.bin")}
					want = []sent{{"raw.bin", sha(a)}}
				}
				status, body := runCurl(t, nil, args...)
				if status != wantStatus {
					t.Fatalf("got %d %s, want %d", status, body, wantStatus)
				}
				var sum uploadSummary
				if err := json.Unmarshal(body, &sum); err != nil || len(sum.Files) != len(want) {
					t.Fatalf("summary %s (%v), want %d files", body, err, len(want))
				}
				for i, w := range want {
					f := sum.Files[i]
					if f.Name != w.name || f.Size != int64(size) || f.URL != "/up/"+w.name {
						t.Errorf("file %d: got %+v, want %s (%d bytes)", i, f, w.name, size)
					}
					if got := fileSHA(t, filepath.Join(s.Dir, "store", w.name)); got != w.sha {
						t.Errorf("%s: stored SHA-256 %s, sent %s", w.name, got, w.sha)
					}
				}
				wantNames := make([]string, len(want))
				for i, w := range want {
					wantNames[i] = w.name
				}
				if got := storeFiles(t, s); !slices.Equal(got, wantNames) {
					t.Errorf("store holds %q, want %q", got, wantNames)
				}

				if mode == "put" {
					// Replacing is atomic and answers 204 (RFC 9110 §9.3.4).
					if status, body := runCurl(t, nil, "-T", fb, s.URL(0, "/up/put.bin")); status != 204 {
						t.Fatalf("replacing PUT: got %d %s, want 204", status, body)
					}
					if got := fileSHA(t, filepath.Join(s.Dir, "store", "put.bin")); got != sha(b) {
						t.Errorf("after replace: stored SHA-256 %s, sent %s", got, sha(b))
					}
					if got := storeFiles(t, s); !slices.Equal(got, []string{"put.bin"}) {
						t.Errorf("store holds %q after replace", got)
					}
				}
			})
		}
	}
}
