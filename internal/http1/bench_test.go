package http1

import (
	"io"
	"testing"
)

// Benchmarks for the per-request work around the parser (parser_test.go
// has BenchmarkParse*, response_test.go BenchmarkResponseSmall): header
// lookup and response head serialisation.

func parsedTypical(tb testing.TB) *Request {
	tb.Helper()
	var p Parser
	req := new(Request)
	if _, err := p.Parse([]byte(typicalRequest), req); err != nil {
		tb.Fatal(err)
	}
	return req
}

// BenchmarkRequestGet looks up names the way the handlers do: a field
// present late in the head, one in another case, and the conditional
// request headers a static GET checks (RFC 9110 §13.2.2), most of them
// absent, so every lookup scans all ten fields.
func BenchmarkRequestGet(b *testing.B) {
	req := parsedTypical(b)
	cases := []struct {
		name  string
		names []string
		found int
	}{
		{"present", []string{"If-None-Match"}, 1},
		{"folded", []string{"if-none-match"}, 1},
		{"absent", []string{"Range"}, 0},
		{"static-get", []string{"If-Match", "If-Unmodified-Since", "If-None-Match", "If-Modified-Since", "If-Range", "Range"}, 1},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				found := 0
				for _, n := range c.names {
					if req.Get(n) != nil {
						found++
					}
				}
				if found != c.found {
					b.Fatalf("found %d of %q, want %d", found, c.names, c.found)
				}
			}
		})
	}
}

func TestRequestGetAllocs(t *testing.T) {
	req := parsedTypical(t)
	allocs := testing.AllocsPerRun(100, func() {
		if req.Get("If-None-Match") == nil || req.Get("Range") != nil {
			t.Fatal("wrong lookup result")
		}
	})
	if allocs != 0 {
		t.Errorf("got %v allocs per lookup, want 0", allocs)
	}
}

// staticHead fills w's header as the static handler does for a 200.
func staticHead(w *ResponseWriter) {
	h := w.Header()
	h.Set("Last-Modified", "Tue, 24 Nov 2026 16:00:00 GMT")
	h.Set("ETag", `"6940c8c0-400"`)
	h.Set("Accept-Ranges", "bytes")
	h.Set("Content-Type", "text/html; charset=utf-8")
	w.SetContentLength(1024)
	w.WriteHeader(200)
}

// BenchmarkAppendHead serialises the head of a static-file 200 (status
// line, Server, Date, four fields, Content-Length) into a reused buffer.
func BenchmarkAppendHead(b *testing.B) {
	var w ResponseWriter
	w.Reset(io.Discard, 1, false, true)
	staticHead(&w)
	w.frame()
	b.ReportAllocs()
	var buf []byte
	for b.Loop() {
		buf = w.appendHead(buf[:0])
	}
	b.SetBytes(int64(len(buf)))
}

// BenchmarkResponseStatic is a whole static-file 200 with a 1 KiB body:
// Reset, the handler's header Sets, head and body in one writev.
func BenchmarkResponseStatic(b *testing.B) {
	var w ResponseWriter
	body := make([]byte, 1024)
	b.ReportAllocs()
	for b.Loop() {
		w.Reset(io.Discard, 1, false, true)
		staticHead(&w)
		w.Write(body)
		if err := w.Finish(); err != nil {
			b.Fatal(err)
		}
	}
}

func TestResponseStaticAllocs(t *testing.T) {
	var w ResponseWriter
	body := make([]byte, 1024)
	allocs := testing.AllocsPerRun(100, func() {
		w.Reset(io.Discard, 1, false, true)
		staticHead(&w)
		w.Write(body)
		w.Finish()
	})
	if allocs != 0 {
		t.Errorf("got %v allocs per static response, want 0", allocs)
	}
}
