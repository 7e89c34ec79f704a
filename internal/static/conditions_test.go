package static

import (
	"testing"

	"webserv/internal/http1"
)

// conditionsOf finds, in one pass, what Request.Get finds for each name:
// the first field's value, whatever the case of the name.
func TestConditionsOf(t *testing.T) {
	t.Parallel()
	field := func(name, value string) http1.Field {
		return http1.Field{Name: []byte(name), Value: []byte(value)}
	}
	req := &http1.Request{Fields: []http1.Field{
		field("Host", "a"),
		field("if-range", `"r1"`),
		field("If-Match", `"m1"`),
		field("IF-MATCH", `"m2"`),
		field("Range", "bytes=0-1"),
		field("If-None-Match", ""),
		field("If-None-Match", `"n2"`),
		field("If-Modified-Since", "x"),
		field("Ranges", "no"),
		field("If-Unmodified-Since", "y"),
		field("range", "bytes=2-3"),
	}}
	c := conditionsOf(req)
	for _, f := range []struct {
		name string
		got  []byte
	}{
		{"If-Match", c.ifMatch},
		{"If-Unmodified-Since", c.ifUnmodifiedSince},
		{"If-None-Match", c.ifNoneMatch},
		{"If-Modified-Since", c.ifModifiedSince},
		{"If-Range", c.ifRange},
		{"Range", c.rng},
	} {
		if want := req.Get(f.name); string(f.got) != string(want) || (f.got == nil) != (want == nil) {
			t.Errorf("%s: got %q, want %q", f.name, f.got, want)
		}
	}
	if c := conditionsOf(&http1.Request{Fields: req.Fields[:1]}); c.ifMatch != nil || c.ifUnmodifiedSince != nil ||
		c.ifNoneMatch != nil || c.ifModifiedSince != nil || c.ifRange != nil || c.rng != nil {
		t.Errorf("a request without conditions: got %+v", c)
	}
}

// BenchmarkConditionsOf is what a static GET spends finding its
// conditions in a browser's head that carries one (If-None-Match).
func BenchmarkConditionsOf(b *testing.B) {
	var req http1.Request
	var p http1.Parser
	head := []byte("GET /static/css/site.css?v=42 HTTP/1.1\r\n" +
		"Host: www.example.com\r\n" +
		"User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n" +
		"Accept: text/css,*/*;q=0.1\r\n" +
		"Accept-Language: en-US,en;q=0.5\r\n" +
		"Accept-Encoding: gzip, deflate, br, zstd\r\n" +
		"Referer: https://www.example.com/index.html\r\n" +
		"Connection: keep-alive\r\n" +
		"Cookie: session=0123456789abcdef0123456789abcdef; theme=dark\r\n" +
		"Sec-Fetch-Dest: style\r\n" +
		"If-None-Match: \"5f3c-1a2b3c4d\"\r\n" +
		"\r\n")
	if _, err := p.Parse(head, &req); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		c := conditionsOf(&req)
		if c.ifNoneMatch == nil {
			b.Fatal("If-None-Match not found")
		}
	}
}
