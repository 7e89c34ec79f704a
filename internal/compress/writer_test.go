package compress

import (
	"bufio"
	"bytes"
	stdgzip "compress/gzip"
	"io"
	"net/http"
	"testing"

	"webserv/internal/config"
	"webserv/internal/http1"
)

// exchange runs handle against a Writer over an http1.ResponseWriter
// whose output it parses.
func exchange(t *testing.T, method, ae string, failed bool, handle func(w *Writer)) (*http.Response, []byte) {
	t.Helper()
	var out bytes.Buffer
	var inner http1.ResponseWriter
	inner.Reset(&out, 1, method == "HEAD", true)
	loc := &config.Location{Compress: config.Compress{On: true, Codings: config.AllCodings, MinLength: 20, Level: 1, Vary: true}}
	req := request()
	if ae != "" {
		req = request(ae)
	}
	var w Writer
	if got := w.Reset(&inner, req, loc, nil); got != &w {
		t.Fatal("Reset did not wrap")
	}
	handle(&w)
	w.Finish(failed)
	if !failed {
		inner.Finish()
	}
	resp, err := http.ReadResponse(bufio.NewReader(&out), &http.Request{Method: method})
	if err != nil {
		t.Fatalf("reading %q: %v", out.String(), err)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

// TestWriterEmptyStream: a compressed body of unknown length that turns
// out empty is still a valid (empty) gzip stream.
func TestWriterEmptyStream(t *testing.T) {
	resp, body := exchange(t, "GET", "gzip", false, func(w *Writer) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(200)
	})
	if resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("got %v", resp.Header)
	}
	zr, err := stdgzip.NewReader(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("%d bytes: %v", len(body), err)
	}
	if got, err := io.ReadAll(zr); err != nil || len(got) != 0 {
		t.Errorf("got %q, %v; want an empty stream", got, err)
	}
}

// TestWriterFailed: a handler that fails after its status leaves nothing
// on the inner writer, which can still answer with an error page.
func TestWriterFailed(t *testing.T) {
	var out bytes.Buffer
	var inner http1.ResponseWriter
	inner.Reset(&out, 1, false, true)
	loc := &config.Location{Compress: config.Compress{On: true, Codings: config.Gzip, MinLength: 20, Level: 1, Vary: true}}
	var w Writer
	w.Reset(&inner, request("gzip"), loc, nil)
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(200)
	w.Write(bytes.Repeat([]byte("partial output "), 100))
	w.Finish(true)
	if inner.Written() || out.Len() != 0 {
		t.Fatalf("got %q written, want nothing", out.String())
	}
}

// TestWriterHeadMatchesGet: HEAD gets the GET's fields, without the
// length only compressing tells.
func TestWriterHeadMatchesGet(t *testing.T) {
	handle := func(w *Writer) {
		w.Header().Set("Content-Type", "text/css")
		w.Header().Set("ETag", `"x-1"`)
		w.Header().Set("Accept-Ranges", "bytes")
		w.SetContentLength(3000)
		w.WriteHeader(200)
		w.Write(bytes.Repeat([]byte("a{b:c}"), 500))
	}
	get, body := exchange(t, "GET", "br;q=0.5, gzip;q=0.4", false, handle)
	head, _ := exchange(t, "HEAD", "br;q=0.5, gzip;q=0.4", false, handle)
	if get.Header.Get("Content-Encoding") != "br" || get.Header.Get("ETag") != `"x-1-br"` || get.Header.Get("Accept-Ranges") != "" ||
		get.Header.Get("Vary") != "Accept-Encoding" || get.ContentLength != int64(len(body)) {
		t.Errorf("GET: got %v, length %d for %d bytes", get.Header, get.ContentLength, len(body))
	}
	get.Header.Del("Date")
	head.Header.Del("Date")
	get.Header.Del("Content-Length")
	if head.Header.Get("Content-Length") != "" {
		t.Errorf("HEAD: got Content-Length %s", head.Header.Get("Content-Length"))
	}
	for k := range get.Header {
		if get.Header.Get(k) != head.Header.Get(k) {
			t.Errorf("%s: GET %q, HEAD %q", k, get.Header.Get(k), head.Header.Get(k))
		}
	}
}
