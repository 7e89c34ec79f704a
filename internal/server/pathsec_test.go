package server_test

import (
	"bufio"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"webserv/internal/servertest"
)

// Path security (SPEC §3, disable_symlinks in SPEC §2): no request reads,
// writes or deletes anything outside the root, whatever the encoding, and a
// symlink out of the root is followed only where `disable_symlinks off;`
// says so. Secrets live next to the root; their content must never appear
// in a response.

const pathsecConf = `
server {
    listen 127.0.0.1:$PORT0;
    root site/www;
    location /dl/ { autoindex on; }
    location /follow/ { disable_symlinks off; }
    location /up/ {
        alias site/store;
        upload_store site/store;
        methods GET PUT DELETE;
    }
}
`

const secret = "TOP SECRET"

var pathsecFiles = map[string]string{
	"secret.txt":              secret, // two levels above the root
	"site/secret.txt":         secret, // next to the root
	"site/outside/other.txt":  secret, // a directory next to the root
	"site/www/index.html":     "home",
	"site/www/in.txt":         "inside",
	"site/www/dl/visible.txt": "v",
	"site/www/dl/.hidden":     "dot",
	"site/www/dl/.git/config": "dot dir",
	// Backslash is an ordinary byte in a Unix file name: a request for
	// "..\secret.txt" names this file inside the root, never ../secret.txt.
	`site/www/..\secret.txt`: "inside backslash",
	"site/www/follow/in.txt": "inside follow",
	"site/store/":            "",
}

// startPathsec starts the server and adds the symlinks:
//
//	www/out.txt        -> ../secret.txt          (file outside)
//	www/outdir         -> ../outside             (directory outside)
//	www/abs.txt        -> /abs/path/secret.txt   (absolute, outside)
//	www/inlink.txt     -> in.txt                 (inside: always fine)
//	www/dl/out.txt     -> ../../secret.txt       (listed, outside)
//	www/follow/out.txt -> ../../secret.txt       (outside, but followed)
//	store/outdir       -> ../outside             (upload store escape)
func startPathsec(t *testing.T) *servertest.Server {
	t.Helper()
	s := servertest.Start(t, pathsecConf, 1, pathsecFiles)
	links := [][2]string{
		{"site/www/out.txt", "../secret.txt"},
		{"site/www/outdir", "../outside"},
		{"site/www/abs.txt", filepath.Join(s.Dir, "secret.txt")},
		{"site/www/inlink.txt", "in.txt"},
		{"site/www/dl/out.txt", "../../secret.txt"},
		{"site/www/follow/out.txt", "../../secret.txt"},
		{"site/store/outdir", "../outside"},
	}
	for _, l := range links {
		if err := os.Symlink(l[1], filepath.Join(s.Dir, l[0])); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func TestPathTraversal(t *testing.T) {
	t.Parallel()
	s := startPathsec(t)
	tests := []struct {
		name   string
		target string
		status int // 0: 400 or 404 are both fine
		body   string
	}{
		{"dot-dot", "/../secret.txt", 400, ""},
		{"dot-dot twice", "/../../secret.txt", 400, ""},
		{"dot-dot after a segment", "/dl/../../secret.txt", 400, ""},
		{"dot then dot-dot", "/./../secret.txt", 400, ""},
		{"many dot-dots", strings.Repeat("/..", 100) + "/secret.txt", 400, ""},
		{"encoded dots", "/%2e%2e/secret.txt", 400, ""},
		{"encoded dots upper case", "/%2E%2E/secret.txt", 400, ""},
		{"encoded dots and slash", "/%2E%2E%2Fsecret.txt", 400, ""},
		{"half encoded dots", "/.%2e/secret.txt", 400, ""},
		{"other half encoded dots", "/%2e./secret.txt", 400, ""},
		{"encoded slash", "/..%2fsecret.txt", 400, ""},
		{"encoded slash upper case", "/..%2Fsecret.txt", 400, ""},
		{"encoded slash after a segment", "/dl/..%2f..%2fsecret.txt", 400, ""},
		{"dot-dot as last segment", "/dl/../..", 400, ""},
		// Decoding happens once: %25 is a literal "%".
		{"double-encoded dots", "/%252e%252e/secret.txt", 404, ""},
		{"double-encoded slash", "/..%252fsecret.txt", 404, ""},
		{"double-encoded everything", "/%252e%252e%252fsecret.txt", 404, ""},
		// Backslash is a file-name byte on Unix, never a separator.
		{"backslash", `/..\secret.txt`, 200, "inside backslash"},
		{"encoded backslash", "/..%5csecret.txt", 200, "inside backslash"},
		{"encoded dots and backslash", "/%2e%2e%5csecret.txt", 200, "inside backslash"},
		{"backslashes around dots", "/%5c..%5csecret.txt", 404, ""},
		{"backslash twice", `/..\..\secret.txt`, 404, ""},
		{"windows drive", "/C:/secret.txt", 404, ""},
		{"windows drive backslash", "/C:%5csecret.txt", 404, ""},
		// Overlong UTF-8 forms of "." and "/" are just bytes >= 0x80.
		{"overlong dots", "/%c0%ae%c0%ae/secret.txt", 404, ""},
		{"overlong slash", "/..%c0%afsecret.txt", 404, ""},
		{"three-byte overlong dots", "/%e0%80%ae%e0%80%ae/secret.txt", 404, ""},
		{"percent-u", "/%u002e%u002e/secret.txt", 400, ""},
		{"truncated escape", "/%2", 400, ""},
		{"bad escape", "/%zz", 400, ""},
		{"tomcat dot-dot-semicolon", "/..;/secret.txt", 404, ""},
		{"three dots", "/.../secret.txt", 404, ""},
		{"double slash", "//secret.txt", 404, ""},
		{"query is not path", "/?../../secret.txt", 200, "home"},
		{"absolute-form", "http://x/../secret.txt", 400, ""},
		// NUL and other control bytes never reach the file system.
		{"encoded NUL", "/in.txt%00", 400, ""},
		{"encoded NUL before extension", "/in.txt%00.html", 400, ""},
		{"encoded NUL in dots", "/%2e%2e%00/secret.txt", 400, ""},
		{"encoded newline", "/in%0a.txt", 400, ""},
		{"encoded DEL", "/in%7f.txt", 400, ""},
		// Symlinks (disable_symlinks on by default).
		{"symlink to a file outside", "/out.txt", 404, ""},
		{"symlink to a directory outside", "/outdir/other.txt", 404, ""},
		{"symlinked directory outside listed", "/outdir/", 404, ""},
		{"absolute symlink outside", "/abs.txt", 404, ""},
		{"symlink inside the root", "/inlink.txt", 200, "inside"},
		{"symlink outside in a listed directory", "/dl/out.txt", 404, ""},
		{"symlink outside where followed", "/follow/out.txt", 200, secret},
		// Uploads are confined to the store, symlinks or not.
		{"upload store symlink outside", "/up/outdir/other.txt", 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := roundTrip(t, s, "GET", "GET "+tt.target+" HTTP/1.1\r\nHost: x\r\n\r\n")
			switch {
			case tt.status != 0 && resp.StatusCode != tt.status:
				t.Errorf("got %d, want %d (body %q)", resp.StatusCode, tt.status, resp.Body)
			case tt.status == 0 && resp.StatusCode != 400 && resp.StatusCode != 404:
				t.Errorf("got %d, want 400 or 404", resp.StatusCode)
			}
			if tt.body != "" && string(resp.Body) != tt.body {
				t.Errorf("body: got %q, want %q", resp.Body, tt.body)
			}
			if tt.body != secret && strings.Contains(string(resp.Body), secret) {
				t.Errorf("served a file outside the root: %q", resp.Body)
			}
		})
	}
}

// roundTrip sends raw on a new connection and reads one response.
func roundTrip(t *testing.T, s *servertest.Server, method, raw string) *servertest.Response {
	t.Helper()
	c := s.Dial(t, 0)
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	return servertest.ReadResponse(t, bufio.NewReader(c), method)
}

// Writes and deletes by every encoding stay in the store: afterwards the
// tree outside it is exactly as before.
func TestPathTraversalWrites(t *testing.T) {
	t.Parallel()
	s := startPathsec(t)
	before := treeOutsideStore(t, s.Dir)
	targets := []string{
		"/up/../pwned.txt",
		"/up/%2e%2e/pwned.txt",
		"/up/..%2fpwned.txt",
		"/up/..%2f..%2fpwned.txt",
		"/up/%2e%2e%2f%2e%2e%2fsecret.txt",
		"/up/outdir/pwned.txt",
		"/up/outdir/other.txt",
		"/up/pwned%00.txt",
		"/up/../../secret.txt",
	}
	for _, target := range targets {
		for _, method := range []string{"PUT", "DELETE"} {
			t.Run(method+" "+target, func(t *testing.T) {
				raw := method + " " + target + " HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\npwned"
				resp := roundTrip(t, s, method, raw)
				if resp.StatusCode < 400 {
					t.Errorf("got %d, want an error status", resp.StatusCode)
				}
			})
		}
	}
	after := treeOutsideStore(t, s.Dir)
	if !slices.Equal(before, after) {
		t.Errorf("the tree outside the store changed:\nbefore %q\nafter  %q", before, after)
	}
	for _, p := range []string{"secret.txt", "site/secret.txt", "site/outside/other.txt"} {
		if b, err := os.ReadFile(filepath.Join(s.Dir, p)); err != nil || string(b) != secret {
			t.Errorf("%s: got %q, %v; want it untouched", p, b, err)
		}
	}
}

// treeOutsideStore lists every path under dir except the upload store's
// contents, with sizes, so that a created, removed or rewritten file shows.
func treeOutsideStore(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	store := filepath.Join(dir, "site", "store")
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if strings.HasPrefix(p, store+string(filepath.Separator)) {
			return nil
		}
		out = append(out, p+" "+fi.Mode().String()+" "+itoa(int(fi.Size())))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Listings hide dotfiles and show a symlink only as a name: following it
// is still refused.
func TestListingHidesDotfiles(t *testing.T) {
	t.Parallel()
	s := startPathsec(t)
	resp, body := get(t, s.URL(0, "/dl/"), "x")
	if resp.StatusCode != 200 {
		t.Fatalf("got %d", resp.StatusCode)
	}
	if !strings.Contains(body, "visible.txt") {
		t.Errorf("listing lacks visible.txt:\n%s", body)
	}
	if strings.Contains(body, ".hidden") || strings.Contains(body, ".git") {
		t.Errorf("listing shows a dotfile:\n%s", body)
	}
	if strings.Contains(body, secret) {
		t.Errorf("listing leaks a secret:\n%s", body)
	}
}
