package h2_test

import (
	"strconv"
	"strings"
	"testing"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"webserv/internal/h2"
)

// rawHead reads the HEADERS or RST_STREAM that answers stream id, with
// the header block left undecoded (rc.fr.ReadMetaHeaders is nil): Go's
// decoder would itself refuse what the server must not send.
func (rc *rawConn) rawHead(id uint32) http2.Frame {
	rc.t.Helper()
	return rc.until("HEADERS or RST_STREAM", func(f http2.Frame) bool {
		switch f.(type) {
		case *http2.HeadersFrame, *http2.RSTStreamFrame:
			return f.Header().StreamID == id
		}
		return false
	})
}

// RFC 9113 §8.2.1: a field value, pseudo-header fields included, holds no
// NUL, CR or LF; and :path is checked as HTTP/1.1 checks a request-target
// (RFC 9112 §3.2: visible ASCII, no fragment). Such a request is
// malformed: RST_STREAM(PROTOCOL_ERROR), never served (a handler copying
// the query into a response field would otherwise send the CR LF on).
func TestPseudoHeaderBytes(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil, newTestHandler(t), false)
	rc := dialRaw(t, ts)
	rc.fr.ReadMetaHeaders = nil
	req := map[string]string{":method": "GET", ":scheme": "http", ":authority": "localhost", ":path": "/"}
	for i, tc := range []struct{ name, value string }{
		{":path", "/?a\r\nset-cookie: evil=1"},
		{":path", "/a\x00b"},
		{":path", "/a\nb"},
		{":path", "/a b"},
		{":path", "/a\tb"},
		{":path", "/a#frag"},
		{":path", "/\x7f"},
		{":path", "/caf\xc3\xa9"},
		{":authority", "local\r\nhost"},
		{":authority", "local\x00host"},
		{":method", "GE\nT"},
		{":scheme", "ht\rtp"},
	} {
		id := uint32(2*i + 1)
		var kv []string
		for _, name := range []string{":method", ":scheme", ":authority", ":path"} {
			v := req[name]
			if name == tc.name {
				v = tc.value
			}
			kv = append(kv, name, v)
		}
		if err := rc.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, EndStream: true, EndHeaders: true, BlockFragment: rc.block(kv...)}); err != nil {
			t.Fatal(err)
		}
		switch f := rc.rawHead(id).(type) {
		case *http2.RSTStreamFrame:
			if f.ErrCode != http2.ErrCodeProtocol {
				t.Errorf("%s %q: RST_STREAM %v, want PROTOCOL_ERROR", tc.name, tc.value, f.ErrCode)
			}
		default:
			t.Errorf("%s %q: answered, want RST_STREAM(PROTOCOL_ERROR)", tc.name, tc.value)
		}
	}
}

// A :path longer than MaxURILength is answered 414, as HTTP/1.1 answers
// a request-target past client_max_uri_length; the default is HTTP/1.1's
// 8 KiB.
func TestURITooLong(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		cfg  *h2.Config
		path string
		want string
	}{
		{nil, "/" + strings.Repeat("a", 8<<10), "414"},
		{nil, "/" + strings.Repeat("a", 8<<10-1), "200"},
		{&h2.Config{MaxURILength: 100}, "/?" + strings.Repeat("q", 99), "414"},
		{&h2.Config{MaxURILength: 100}, "/?" + strings.Repeat("q", 98), "200"},
	} {
		ts := startServer(t, tc.cfg, newTestHandler(t), false)
		rc := dialRaw(t, ts)
		rc.request(1, tc.path, true)
		if status, _, _ := rc.response(1); status != tc.want {
			t.Errorf("%d-byte :path, config %+v: status %s, want %s", len(tc.path), tc.cfg, status, tc.want)
		}
	}
}

// Defence in depth: a response field whose name or value holds CR, LF or
// NUL, which HPACK would carry as it is, is not sent.
func TestResponseFieldControlBytesDropped(t *testing.T) {
	t.Parallel()
	h := h2.HandlerFunc(func(s *h2.Stream) {
		s.Header().Set("X-Good", "ok")
		s.Header().Set("X-Crlf", "a\r\nset-cookie: evil=1")
		s.Header().Set("X-Lf", "a\nb")
		s.Header().Set("X-Nul", "a\x00b")
		s.Header().Set("X-Bad\r\nName", "v")
	})
	ts := startServer(t, nil, h, false)
	rc := dialRaw(t, ts)
	rc.fr.ReadMetaHeaders = nil
	rc.request(1, "/", true)
	hf, ok := rc.rawHead(1).(*http2.HeadersFrame)
	if !ok {
		t.Fatal("stream reset, want a response")
	}
	fields, err := hpack.NewDecoder(4096, nil).DecodeFull(hf.HeaderBlockFragment())
	if err != nil {
		t.Fatal(err)
	}
	good := false
	for _, f := range fields {
		if strings.ContainsAny(f.Name+f.Value, "\r\n\x00") {
			t.Errorf("field sent: %q: %q", f.Name, f.Value)
		}
		good = good || f.Name == "x-good" && f.Value == "ok"
	}
	if !good {
		t.Errorf("x-good missing: %v", fields)
	}
}

// :authority is the request's Host field too, as nginx makes it
// ($http_host, the CGI HTTP_HOST read the fields; browsers send no Host
// over HTTP/2); and a Host field naming another authority than
// :authority makes the request malformed (RFC 9113 §8.3.1), instead of
// the virtual host following one name and the application the other.
func TestAuthorityHostField(t *testing.T) {
	t.Parallel()
	h := h2.HandlerFunc(func(s *h2.Stream) {
		if s.Err() != nil {
			s.WriteHeader(400)
			return
		}
		r := s.Request()
		n := 0
		for _, f := range r.Fields {
			if string(f.Name) == "host" {
				n++
			}
		}
		s.Header().Set("X-Host", string(r.Host))
		s.Header().Set("X-Host-Field", string(r.Get("host")))
		s.Header().Set("X-Host-Fields", strconv.Itoa(n))
	})
	ts := startServer(t, nil, h, false)
	rc := dialRaw(t, ts)
	field := func(fields []hpack.HeaderField, name string) string {
		for _, f := range fields {
			if f.Name == name {
				return f.Value
			}
		}
		return ""
	}
	for i, tc := range []struct {
		authority, host string // "": not sent
		want            string // the host field the handler sees; "": reset
	}{
		{"localhost", "", "localhost"},
		{"localhost:8443", "", "localhost:8443"},
		{"localhost", "localhost", "localhost"},
		{"localhost", "LocalHost", "LocalHost"},
		{"", "h.example", "h.example"},
		{"localhost", "other.example", ""},
		{"localhost:8443", "localhost", ""},
	} {
		id := uint32(2*i + 1)
		kv := []string{":method", "GET", ":scheme", "http", ":path", "/"}
		if tc.authority != "" {
			kv = append(kv, ":authority", tc.authority)
		}
		if tc.host != "" {
			kv = append(kv, "host", tc.host)
		}
		if err := rc.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, EndStream: true, EndHeaders: true, BlockFragment: rc.block(kv...)}); err != nil {
			t.Fatal(err)
		}
		f := rc.until("HEADERS or RST_STREAM", func(f http2.Frame) bool {
			switch f.(type) {
			case *http2.MetaHeadersFrame, *http2.RSTStreamFrame:
				return f.Header().StreamID == id
			}
			return false
		})
		switch f := f.(type) {
		case *http2.RSTStreamFrame:
			if tc.want != "" || f.ErrCode != http2.ErrCodeProtocol {
				t.Errorf(":authority %q, host %q: RST_STREAM %v, want host field %q", tc.authority, tc.host, f.ErrCode, tc.want)
			}
		case *http2.MetaHeadersFrame:
			got := field(f.Fields, "x-host-field")
			if tc.want == "" || got != tc.want || field(f.Fields, "x-host-fields") != "1" {
				t.Errorf(":authority %q, host %q: served %s with host field %q (%s of them), want %q",
					tc.authority, tc.host, f.PseudoValue("status"), got, field(f.Fields, "x-host-fields"), tc.want)
			}
		}
	}
}
