package server

import (
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"

	"webserv/internal/config"
)

// TestListenBothFamilies: `listen 0.0.0.0:P; listen [::]:P;` and
// `listen 127.0.0.1:P; listen [::]:P;` bind side by side, as in nginx,
// whose IPv4 socket is IPv4 only and whose IPv6 socket is IPV6_V6ONLY.
func TestListenBothFamilies(t *testing.T) {
	t.Parallel()
	if ln, err := net.Listen("tcp6", "[::1]:0"); err != nil {
		t.Skip("no IPv6 here:", err)
	} else {
		ln.Close()
	}
	for _, v4 := range []string{"0.0.0.0", "127.0.0.1"} {
		ln4, err := listen(v4+":0", false)
		if err != nil {
			t.Fatal(err)
		}
		_, port, _ := net.SplitHostPort(ln4.Addr().String())
		ln6, err := listen("[::]:"+port, false)
		if err != nil {
			t.Errorf("%s:%s and [::]:%s: %v", v4, port, port, err)
		} else {
			ln6.Close()
		}
		ln4.Close()
	}
}

// TestListenErrorNamesDirective: a listen address that cannot be bound at
// start is reported at its `listen` directive's FILE:LINE:COL.
func TestListenErrorNamesDirective(t *testing.T) {
	t.Parallel()
	busy, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	cfg, err := config.Parse("test.conf", []byte("server {\n    listen "+busy.Addr().String()+";\n    root .;\n}\n"), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s := New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	err = s.Listen(nil)
	if err == nil {
		s.Shutdown(t.Context())
		t.Fatal("listen on a busy address succeeded")
	}
	if !strings.HasPrefix(err.Error(), "test.conf:2:5: ") || !strings.Contains(err.Error(), "address already in use") {
		t.Errorf("error %q, want it at test.conf:2:5", err)
	}
}
