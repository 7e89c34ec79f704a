package config

import (
	"strings"
	"testing"
)

// HTTP/2 is on through ALPN for ssl listeners unless `http2 off;`, and on
// plain listeners only with `http2 on;` or `listen ... http2`.
func TestHTTP2Enabled(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		conf       string
		plain, ssl bool
	}{
		{"", false, true},
		{"http2 on;", true, true},
		{"http2 off;", false, false},
	} {
		cfg, errs := parseLines(t, "server { listen 127.0.0.1:8081; root $DIR; "+tc.conf+" }")
		if errs != nil {
			t.Fatalf("%q: %v", tc.conf, errs)
		}
		s := cfg.Servers[0]
		if got := s.HTTP2Enabled(s.Listens[0]); got != tc.plain {
			t.Errorf("%q plain: got %v", tc.conf, got)
		}
		// The ssl listener as the configuration would have it (a real
		// one needs certificate files).
		if got := s.HTTP2Enabled(Listen{Addr: "127.0.0.1:8443", SSL: true}); got != tc.ssl {
			t.Errorf("%q ssl: got %v", tc.conf, got)
		}
	}
	cfg, errs := parseLines(t, "http { http2 on; http2_max_concurrent_streams 64; server { listen 127.0.0.1:8081 http2; root $DIR; } server { listen 127.0.0.1:8082; root $DIR; http2 off; } }")
	if errs != nil {
		t.Fatal(errs)
	}
	a, b := cfg.Servers[0], cfg.Servers[1]
	if !a.HTTP2Enabled(a.Listens[0]) || !a.Listens[0].HTTP2 || a.HTTP2MaxStreams != 64 {
		t.Errorf("listen http2 under http2 on: %+v", a.Listens[0])
	}
	if b.HTTP2Enabled(b.Listens[0]) {
		t.Error("http2 off in the server did not override http's on")
	}
}

func TestHTTP2Errors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ conf, want string }{
		{"http2 maybe;", `invalid value "maybe"`},
		{"http2_max_concurrent_streams 0;", "http2_max_concurrent_streams"},
		{"http2_max_concurrent_streams 5000;", "between 1 and 1024"},
	} {
		_, errs := parseLines(t, "server { listen 127.0.0.1:8081; root $DIR; "+tc.conf+" }")
		if errs == nil || !strings.Contains(strings.Join(errs, "\n"), tc.want) {
			t.Errorf("%q: got %v, want %q", tc.conf, errs, tc.want)
		}
	}
}
