package upload

import (
	"path/filepath"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestSanitize(t *testing.T) {
	long := strings.Repeat("é", 200) + ".pdf" // 404 bytes
	tests := []struct {
		name, in, want string
		ok             bool
	}{
		{"plain", "report.pdf", "report.pdf", true},
		{"unicode", "résumé.pdf", "résumé.pdf", true},
		{"cjk", "日本語 ファイル.txt", "日本語 ファイル.txt", true},
		{"unix traversal", "../../etc/passwd", "passwd", true},
		{"windows traversal", `..\..\win.ini`, "win.ini", true},
		{"fakepath", `C:\fakepath\photo.jpg`, "photo.jpg", true},
		{"absolute", "/abs", "abs", true},
		{"trailing slash", "dir/", "", false},
		{"empty", "", "", false},
		{"dot", ".", "", false},
		{"dotdot", "..", "", false},
		{"dots", "...", "", false},
		{"dotdot in path", "a/..", "", false},
		{"slash only", "/", "", false},
		{"backslash only", `\`, "", false},
		{"leading dot", ".bashrc", "bashrc", true},
		{"leading dots and spaces", " ..  .x", "x", true},
		{"trailing dots spaces", "name.txt. . ", "name.txt", true},
		{"inner dots kept", "a..b.tar.gz", "a..b.tar.gz", true},
		{"nul", "a\x00b.txt", "ab.txt", true},
		{"nul truncation trick", "evil.php\x00.jpg", "evil.php.jpg", true},
		{"crlf", "a\r\nb.txt", "ab.txt", true},
		{"tab del", "a\tb\x7f.txt", "ab.txt", true},
		{"c1 control", "a\u0085b", "ab", true},
		{"bidi override", "invoice\u202Egpj.exe", "invoicegpj.exe", true},
		{"zero width", "a\u200Bb", "ab", true},
		{"line separator", "a\u2028b", "ab", true},
		{"invalid utf8", "r\xe9sum\xe9.pdf", "r_sum_.pdf", true},
		{"only controls", "\x01\x02\x03", "", false},
		{"long multibyte keeps ext", long, strings.Repeat("é", 125) + ".pdf", true},
		{"long ascii no ext", strings.Repeat("a", 300), strings.Repeat("a", 255), true},
		{"long huge ext", "a." + strings.Repeat("b", 300), "a." + strings.Repeat("b", 253), true},
		{"long cut on dot", strings.Repeat("a", 254) + "..." + strings.Repeat("b", 20), strings.Repeat("a", 254), true},
		{"spaces inside", "my file (1).txt", "my file (1).txt", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Sanitize(tt.in)
			if got != tt.want || ok != tt.ok {
				t.Errorf("Sanitize(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
			}
			if ok {
				checkSafe(t, tt.in, got)
			}
		})
	}
}

// checkSafe asserts the properties every Sanitize result has.
func checkSafe(t *testing.T, in, got string) {
	t.Helper()
	switch {
	case got == "" || got == "." || got == "..":
		t.Fatalf("Sanitize(%q) = %q: empty or dot name", in, got)
	case strings.ContainsAny(got, "/\\\x00"):
		t.Fatalf("Sanitize(%q) = %q: separator or NUL", in, got)
	case strings.HasPrefix(got, "."):
		t.Fatalf("Sanitize(%q) = %q: leading dot", in, got)
	case len(got) > maxName:
		t.Fatalf("Sanitize(%q) = %q: %d bytes", in, got, len(got))
	case !utf8.ValidString(got):
		t.Fatalf("Sanitize(%q) = %q: invalid UTF-8", in, got)
	case strings.IndexFunc(got, unicode.IsControl) >= 0:
		t.Fatalf("Sanitize(%q) = %q: control character", in, got)
	}
	dir := filepath.Join("/srv", "store")
	if j := filepath.Join(dir, got); filepath.Dir(j) != dir || filepath.Base(j) != got {
		t.Fatalf("Sanitize(%q) = %q: joined to %q escapes %q", in, got, j, dir)
	}
}

func FuzzSanitize(f *testing.F) {
	for _, s := range []string{
		"", ".", "..", "...", "a.txt", "../../etc/passwd", `..\..\win.ini`, "/abs",
		"a\x00b", "a\r\nb", ".bashrc", " . x . ", "résumé.pdf", "\xff\xfe", "\u202Eexe.txt",
		strings.Repeat("é", 200) + ".pdf", strings.Repeat(".", 300), strings.Repeat("a", 254) + "é",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, ok := Sanitize(in)
		if !ok {
			if got != "" {
				t.Fatalf("Sanitize(%q) = %q, false: want empty", in, got)
			}
			return
		}
		checkSafe(t, in, got)
		if again, _ := Sanitize(got); again != got {
			t.Fatalf("Sanitize not idempotent: %q -> %q -> %q", in, got, again)
		}
	})
}
