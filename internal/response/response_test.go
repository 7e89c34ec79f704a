package response

import (
	"bytes"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestEqualFold(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"Content-Length", "content-length", true},
		{"ETAG", "etag", true},
		{"etag", "etags", false},
		{"[", "{", false}, // 0x5b and 0x7b differ by 0x20 but are not letters
		{"\xc5", "\xe5", false},
	} {
		if got := EqualFold(tc.a, tc.b); got != tc.want {
			t.Errorf("EqualFold(%q, %q) = %v", tc.a, tc.b, got)
		}
		if got := EqualFold([]byte(tc.a), tc.b); got != tc.want {
			t.Errorf("EqualFold([]byte(%q), %q) = %v", tc.a, tc.b, got)
		}
	}
}

// CopyFile reads at the offset it is given, in buffer-sized pieces, and
// reports a file that ends early as a short count without an error.
func TestCopyFile(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "f")
	data := bytes.Repeat([]byte("0123456789"), 100)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	fd, err := syscall.Open(p, syscall.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fd)
	var out bytes.Buffer
	n, err := CopyFile(&out, fd, 5, 500, make([]byte, 7))
	if err != nil || n != 500 || !bytes.Equal(out.Bytes(), data[5:505]) {
		t.Fatalf("range: %d %v %q", n, err, out.Bytes()[:min(20, out.Len())])
	}
	out.Reset()
	n, err = CopyFile(&out, fd, 900, 500, make([]byte, 64))
	if err != nil || n != 100 || !bytes.Equal(out.Bytes(), data[900:]) {
		t.Fatalf("past the end: %d %v", n, err)
	}
}
