package static

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"webserv/internal/config"
	"webserv/internal/http1"
)

// sendCounter counts the regions a response sends with sendfile.
type sendCounter struct {
	*http1.ResponseWriter
	sendfiles int
}

func (s *sendCounter) SendFile(fd int, off, n int64) (int64, error) {
	s.sendfiles++
	return s.ResponseWriter.SendFile(fd, off, n)
}

func (s *sendCounter) SendCachedFile(fd int, off, n int64) (int64, error) {
	s.sendfiles++
	return s.ResponseWriter.SendCachedFile(fd, off, n)
}

// A whole file above the small-file cache, of a local root and in the
// page cache, leaves with sendfile (its head joining its first bytes),
// which costs the 20 KiB file less CPU than a pread and a writev of both
// (issue 17); a small range of it is still read and sent with its head,
// and so is the file where its sendfile could wait for the disk (opened
// by path, disable_symlinks off: not raw), which would take an event
// loop's connection out of the loop.
func TestMediumFileSentWithSendfile(t *testing.T) {
	t.Parallel()
	fl := New(Options{})
	defer fl.Close()
	dir := t.TempDir()
	content := bytes.Repeat([]byte("0123456789abcdef"), 20<<10/16)
	os.WriteFile(filepath.Join(dir, "20k.bin"), content, 0o644)
	raw := &config.Location{Root: dir, DisableSymlinks: true}
	byPath := &config.Location{Root: dir}
	f, err := fl.open(raw, []byte(filepath.Join(dir, "20k.bin")+"\x00"))
	if err != nil {
		t.Fatal(err)
	}
	isRaw := f.raw && f.cached(0, int64(len(content)))
	f.close()
	for _, tc := range []struct {
		loc           *config.Location
		rng           string
		want          []byte
		wantSendfiles int
	}{
		{raw, "", content, 1},
		{raw, "bytes=100-1099", content[100:1100], 0},
		{byPath, "", content, 0},
	} {
		if tc.loc == raw && tc.wantSendfiles > 0 && !isRaw {
			t.Log("the temporary directory's files are not raw here (rawfile_linux.go)")
			continue
		}
		var out bytes.Buffer
		w := &sendCounter{ResponseWriter: new(http1.ResponseWriter)}
		w.Reset(&out, 1, false, true)
		req := &http1.Request{Method: []byte("GET"), Minor: 1, ContentLength: -1}
		if tc.rng != "" {
			req.Fields = append(req.Fields, http1.Field{Name: []byte("Range"), Value: []byte(tc.rng)})
		}
		if err := fl.Serve(w, req, tc.loc, "/20k.bin", 200); err != nil {
			t.Fatal(err)
		}
		w.Finish()
		if _, body, _ := strings.Cut(out.String(), "\r\n\r\n"); body != string(tc.want) {
			t.Errorf("symlinks checked %v, Range %q: %d bytes, want %d", tc.loc.DisableSymlinks, tc.rng, len(body), len(tc.want))
		}
		if w.sendfiles != tc.wantSendfiles {
			t.Errorf("symlinks checked %v, Range %q: %d regions sent with sendfile, want %d", tc.loc.DisableSymlinks, tc.rng, w.sendfiles, tc.wantSendfiles)
		}
	}
}
