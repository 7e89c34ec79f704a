package site

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"webserv/internal/config"
)

// The embedded configuration, with its template filled in, parses against
// the extracted site; uploads go to a directory outside the site, even one
// whose name needs quoting; the listen address can be moved.
func TestExtractAndConfig(t *testing.T) {
	tests := []struct {
		name   string
		cache  string // XDG_CACHE_HOME under a temp dir
		listen string // WEBSERV_LISTEN
		addr   string
	}{
		{"default", "cache", "", DefaultListen},
		{"listen override", "cache", "127.0.0.1:9911", "127.0.0.1:9911"},
		{"path needing quotes", `a dir; with "quotes" {and} \n #x`, "", DefaultListen},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cache := filepath.Join(t.TempDir(), tt.cache)
			t.Setenv("XDG_CACHE_HOME", cache)
			t.Setenv(ListenEnv, tt.listen)
			dir, err := Extract()
			if err != nil {
				t.Fatal(err)
			}
			uploads := filepath.Join(cache, "webserv", "uploads")
			if got := UploadsDir(); got != uploads {
				t.Errorf("UploadsDir() = %q, want %q", got, uploads)
			}
			if fi, err := os.Stat(uploads); err != nil || !fi.IsDir() {
				t.Fatalf("uploads directory: %v", err)
			}
			if strings.HasPrefix(uploads+"/", dir+"/") {
				t.Errorf("uploads %s is inside the site %s", uploads, dir)
			}

			cfg, err := config.Parse(ConfigName, Config(), dir)
			if err != nil {
				t.Fatalf("the embedded configuration: %v\n%s", err, Config())
			}
			srv := cfg.Servers[0]
			if got := srv.Listens[0].Addr; got != tt.addr {
				t.Errorf("listen %q, want %q", got, tt.addr)
			}
			locs := map[string]*config.Location{}
			for _, l := range srv.Locations {
				locs[l.Path] = l
			}
			up := locs["/uploads/"]
			if up == nil || up.UploadStore != uploads || up.Alias != uploads || !up.Autoindex || !up.Allows("DELETE") || !up.Allows("POST") {
				t.Errorf("location /uploads/: %+v, want alias and upload_store %s", up, uploads)
			}
			if c := locs["/cgi/"]; c == nil || len(c.CGI) != 1 || c.CGI[0].Ext != ".sh" || !c.Allows("POST") {
				t.Errorf("location /cgi/: %+v", c)
			}
			if fi, err := os.Stat(filepath.Join(dir, "www", "cgi", "echo.sh")); err != nil || fi.Mode().Perm() != 0o755 {
				t.Errorf("echo.sh: %v, want mode 0755", err)
			}
			// Extracting again reuses the directory.
			if again, err := Extract(); err != nil || again != dir {
				t.Errorf("second Extract: %q, %v; want %q", again, err, dir)
			}
		})
	}
}

// The Range demo file: line N is bytes (N-1)*64 to N*64-1, as the demo
// page and its curl examples promise.
func TestRangeDemoFile(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	dir, err := Extract()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(linesPath)))
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != linesCount*linesWidth {
		t.Fatalf("size %d, want %d", len(b), linesCount*linesWidth)
	}
	for _, n := range []int{1, 101, linesCount} {
		line := b[(n-1)*linesWidth : n*linesWidth]
		want := fmt.Sprintf("line %06d of %06d, bytes %d-%d ", n, linesCount, (n-1)*linesWidth, n*linesWidth-1)
		if !bytes.HasPrefix(line, []byte(want)) || line[linesWidth-1] != '\n' || bytes.IndexByte(line, '\n') != linesWidth-1 {
			t.Errorf("line %d is %q, want it to start with %q and end with its only newline", n, line, want)
		}
	}
}
