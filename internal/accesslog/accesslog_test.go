package accesslog

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// combinedRe splits a combined line into its fields; quoted fields may
// hold anything but a raw quote or backslash (those are \xHH).
var combinedRe = regexp.MustCompile(`^(\S+) - - \[([^\]]+)\] "((?:[^"\\]|\\x[0-9A-F]{2})*)" (\d{3}) (\d+) "((?:[^"\\]|\\x[0-9A-F]{2})*)" "((?:[^"\\]|\\x[0-9A-F]{2})*)"$`)

// combinedLine is a combined line parsed back into its fields.
type combinedLine struct {
	RemoteAddr, Time, Request string
	Status                    int
	Bytes                     int64
	Referer, UserAgent        string
}

// ParseCombined parses one line (without its newline), undoing the \xHH
// escapes.
func ParseCombined(line string) (combinedLine, error) {
	m := combinedRe.FindStringSubmatch(line)
	if m == nil {
		return combinedLine{}, fmt.Errorf("not a combined line: %q", line)
	}
	status, _ := strconv.Atoi(m[4])
	n, _ := strconv.ParseInt(m[5], 10, 64)
	return combinedLine{m[1], m[2], unescape(m[3]), status, n, unescape(m[6]), unescape(m[7])}, nil
}

func unescape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && s[i+1] == 'x' {
			v, _ := strconv.ParseUint(s[i+2:i+4], 16, 8)
			b.WriteByte(byte(v))
			i += 3
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

var when = time.Date(2024, 3, 9, 14, 5, 6, 789e6, time.FixedZone("", -7*3600))

func entry(ua, ref, target string) *Entry {
	return &Entry{
		Time: when, Duration: 1500 * time.Microsecond, RemoteAddr: "192.0.2.7:5555",
		Method: []byte("GET"), Target: []byte(target), Minor: 1, Status: 200, BodyBytes: 1234,
		Referer: []byte(ref), UserAgent: []byte(ua), ServerName: "example.com",
	}
}

func TestCombinedExact(t *testing.T) {
	got := string(AppendCombined(nil, entry("curl/8.5.0", "http://a.example/", "/index.html?q=1")))
	want := `192.0.2.7 - - [09/Mar/2024:14:05:06 -0700] "GET /index.html?q=1 HTTP/1.1" 200 1234 "http://a.example/" "curl/8.5.0"` + "\n"
	if got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	e := entry("", "", "/")
	e.Method, e.Target, e.RemoteAddr, e.Status, e.BodyBytes = nil, nil, "[::1]:80", 400, 150
	got = string(AppendCombined(nil, e))
	want = `::1 - - [09/Mar/2024:14:05:06 -0700] "-" 400 150 "-" "-"` + "\n"
	if got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

// hostile values: quotes, backslashes, line breaks, non-ASCII, invalid
// UTF-8, and fake field separators.
var hostile = []struct{ name, ua, ref, target string }{
	{"plain", "Mozilla/5.0 (X11; Linux x86_64)", "https://example.com/a?b=c", "/"},
	{"quotes", `evil" 200 0 "x" "y`, `"`, `/a"b`},
	{"backslash", `a\x22b\`, `\\`, `/\x41`},
	{"newline", "line1\nline2\r\n192.0.2.1 - - [x] \"GET / HTTP/1.1\" 200 0 \"-\" \"-\"", "a\tb", "/"},
	{"utf8", "naïve ☃", "https://例え.jp/", "/caf%C3%A9"},
	{"invalid utf8", "\xff\xfe\x80", "\xc3", "/\xe2\x82"},
	{"controls", "\x00\x01\x1b[31m\x7f", "", "/"},
	{"brackets", "] [", "- -", "/ HTTP/1.1"},
}

func TestCombinedParsesBack(t *testing.T) {
	for _, tt := range hostile {
		t.Run(tt.name, func(t *testing.T) {
			line := AppendCombined(nil, entry(tt.ua, tt.ref, tt.target))
			if bytes.Count(line, []byte("\n")) != 1 || line[len(line)-1] != '\n' {
				t.Fatalf("not one line: %q", line)
			}
			got, err := ParseCombined(string(line[:len(line)-1]))
			if err != nil {
				t.Fatal(err)
			}
			want := combinedLine{"192.0.2.7", "09/Mar/2024:14:05:06 -0700", "GET " + tt.target + " HTTP/1.1", 200, 1234, tt.ref, tt.ua}
			if want.Referer == "" {
				want.Referer = "-"
			}
			if got != want {
				t.Errorf("got  %+v\nwant %+v", got, want)
			}
		})
	}
	// nginx's escape for a quote is \x22.
	if line := AppendCombined(nil, entry(`a"b`, "", "/")); !bytes.Contains(line, []byte(`"a\x22b"`)) {
		t.Errorf("quote not escaped as nginx does: %q", line)
	}
}

type jsonLine struct {
	Time       string  `json:"time"`
	RemoteAddr string  `json:"remote_addr"`
	Method     string  `json:"method"`
	Target     string  `json:"target"`
	Status     int     `json:"status"`
	Bytes      int64   `json:"bytes"`
	DurationMS float64 `json:"duration_ms"`
	UserAgent  string  `json:"user_agent"`
	Referer    string  `json:"referer"`
	ServerName string  `json:"server_name"`
}

func TestJSONParsesBack(t *testing.T) {
	for _, tt := range hostile {
		t.Run(tt.name, func(t *testing.T) {
			line := AppendJSON(nil, entry(tt.ua, tt.ref, tt.target))
			if bytes.Count(line, []byte("\n")) != 1 {
				t.Fatalf("not one line: %q", line)
			}
			var got jsonLine
			dec := json.NewDecoder(bytes.NewReader(line))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&got); err != nil {
				t.Fatalf("%v: %q", err, line)
			}
			fix := func(s string) string { return string([]rune(s)) } // each invalid byte becomes U+FFFD
			want := jsonLine{"2024-03-09T14:05:06.789-07:00", "192.0.2.7", "GET", fix(tt.target), 200, 1234, 1.5, fix(tt.ua), fix(tt.ref), "example.com"}
			if got != want {
				t.Errorf("got  %+v\nwant %+v", got, want)
			}
		})
	}
}

// Formatting a line allocates nothing (it appends into a reused buffer).
func TestAppendAllocs(t *testing.T) {
	e := entry("Mozilla/5.0 \"quoted\"", "https://example.com/", "/a/b?c=d")
	buf := make([]byte, 0, 1024)
	for _, f := range []Format{Combined, JSON} {
		if n := testing.AllocsPerRun(100, func() { buf = Append(buf[:0], f, e) }); n != 0 {
			t.Errorf("format %d: %v allocations per line", f, n)
		}
	}
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

func TestWriterAndReopen(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "access.log")
	w, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 100 {
				w.Log(Combined, entry(fmt.Sprintf("ua-%d-%d", g, i), "", "/"))
			}
		}()
	}
	wg.Wait()
	// logrotate: rename, then reopen; lines queued before Reopen land in
	// the old file, lines after it in the new one.
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	if err := w.Reopen(); err != nil {
		t.Fatal(err)
	}
	w.Log(JSON, entry("after", "", "/new"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	w.Log(JSON, entry("after close", "", "/")) // discarded, no panic

	old := readLines(t, path+".1")
	if len(old) != 400 || w.Dropped() != 0 {
		t.Fatalf("old file: %d lines, %d dropped; want 400, 0", len(old), w.Dropped())
	}
	seen := map[string]bool{}
	for _, l := range old {
		c, err := ParseCombined(l)
		if err != nil {
			t.Fatal(err)
		}
		seen[c.UserAgent] = true
	}
	if len(seen) != 400 {
		t.Errorf("%d distinct lines, want 400", len(seen))
	}
	if cur := readLines(t, path); len(cur) != 1 || !strings.Contains(cur[0], `"target":"/new"`) {
		t.Errorf("new file: %q", cur)
	}
}

func TestReopenFailureKeepsOldFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "access.log")
	os.Mkdir(filepath.Dir(path), 0o755)
	w, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	os.Rename(filepath.Dir(path), filepath.Join(dir, "moved"))
	if err := w.Reopen(); err == nil {
		t.Fatal("reopen into a missing directory succeeded")
	}
	w.Log(Combined, entry("still", "", "/"))
	w.Close()
	if l := readLines(t, filepath.Join(dir, "moved", "access.log")); len(l) != 1 {
		t.Errorf("old file: %q", l)
	}
}

// blockingFile stalls every write until released: a disk that cannot
// keep up.
type blockingFile struct {
	release chan struct{}
	started chan struct{}
	once    sync.Once
	buf     bytes.Buffer
}

func (f *blockingFile) Write(p []byte) (int, error) {
	f.once.Do(func() { close(f.started) })
	<-f.release
	return f.buf.Write(p)
}
func (f *blockingFile) Close() error { return nil }

// A stalled disk never blocks Log: lines beyond the queue are dropped and
// counted, and the drop is reported to the error log.
func TestDropWhenFull(t *testing.T) {
	bf := &blockingFile{release: make(chan struct{}), started: make(chan struct{})}
	var errLog bytes.Buffer // written by the writer goroutine, read after Close
	log := slog.New(slog.NewTextHandler(&errLog, nil))
	w, err := newWriter("stalled", func() (io.WriteCloser, error) { return bf, nil }, 4, log)
	if err != nil {
		t.Fatal(err)
	}
	// A line large enough to pass the 64 KiB buffer makes the writer
	// goroutine block in Write.
	big := entry(strings.Repeat("u", bufSize+1), "", "/")
	w.Log(Combined, big)
	select {
	case <-bf.started:
	case <-time.After(10 * time.Second):
		t.Fatal("writer did not start writing")
	}
	done := make(chan struct{})
	go func() {
		for range 100 {
			w.Log(Combined, entry("x", "", "/"))
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Log blocked on a stalled disk")
	}
	if d := w.Dropped(); d != 96 {
		t.Errorf("dropped %d, want 96 (100 lines, queue of 4)", d)
	}
	close(bf.release)
	w.Close()
	if n := strings.Count(bf.buf.String(), "\n"); n != 5 {
		t.Errorf("%d lines written, want 5", n)
	}
	if !strings.Contains(errLog.String(), "dropped=96") {
		t.Errorf("drop not reported: %q", errLog.String())
	}
}

func TestFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "error.log")
	f, err := OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(f, "one\n")
	os.Rename(path, path+".1")
	if err := f.Reopen(); err != nil {
		t.Fatal(err)
	}
	io.WriteString(f, "two\n")
	var stream bytes.Buffer
	f.Swap(Stream(&stream))
	io.WriteString(f, "three\n")
	if err := f.Reopen(); err != nil { // a stream is left alone
		t.Fatal(err)
	}
	f.Close()
	for p, want := range map[string]string{path + ".1": "one\n", path: "two\n"} {
		if b, _ := os.ReadFile(p); string(b) != want {
			t.Errorf("%s: got %q, want %q", p, b, want)
		}
	}
	if stream.String() != "three\n" {
		t.Errorf("stream: got %q", stream.String())
	}
	if _, err := OpenFile(filepath.Join(dir, "no", "such")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("got %v, want ErrNotExist", err)
	}
}

// BenchmarkLog measures what a request pays for its line: formatting into
// a pooled buffer and queueing (the file write happens on the writer
// goroutine).
func BenchmarkLog(b *testing.B) {
	for _, f := range []Format{Combined, JSON} {
		b.Run([]string{"combined", "json"}[f], func(b *testing.B) {
			w, err := Open(filepath.Join(b.TempDir(), "access.log"), nil)
			if err != nil {
				b.Fatal(err)
			}
			defer w.Close()
			e := entry("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36", "https://example.com/", "/static/app.js?v=3")
			b.ReportAllocs()
			for b.Loop() {
				w.Log(f, e)
			}
			b.ReportMetric(float64(w.Dropped()), "dropped")
		})
	}
}

// writeRecorder records every Write call; the first one waits for release,
// so that the lines logged meanwhile go out as one large batch.
type writeRecorder struct {
	release chan struct{}
	once    sync.Once
	mu      sync.Mutex
	writes  []string
	closed  bool
}

func (r *writeRecorder) Write(p []byte) (int, error) {
	r.once.Do(func() { <-r.release })
	r.mu.Lock()
	defer r.mu.Unlock()
	r.writes = append(r.writes, string(p))
	return len(p), nil
}

func (r *writeRecorder) Close() error { r.closed = true; return nil }

// A stream (access_log stderr) shares its descriptor with the error log:
// every write must carry whole lines, even when a batch is larger than the
// write buffer, and Reopen and Close must leave the stream open.
func TestStreamWholeLines(t *testing.T) {
	rec := &writeRecorder{release: make(chan struct{})}
	w := NewStream(Stderr, rec, nil)
	const n = 2000 // ~150 bytes each: several write buffers' worth
	for i := range n {
		w.Log(Combined, entry(fmt.Sprintf("ua-%04d", i), "https://example.com/", "/"+strings.Repeat("p", 40)))
	}
	close(rec.release)
	if err := w.Reopen(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	lines := 0
	for i, s := range rec.writes {
		if !strings.HasSuffix(s, "\n") {
			t.Fatalf("write %d of %d (%d bytes) ends mid-line: %q", i, len(rec.writes), len(s), s[max(0, len(s)-40):])
		}
		lines += strings.Count(s, "\n")
	}
	if lines+int(w.Dropped()) != n || rec.closed {
		t.Errorf("got %d lines, %d dropped, closed %v; want %d lines, stream left open", lines, w.Dropped(), rec.closed, n)
	}
}
