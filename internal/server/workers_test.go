package server_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"webserv/internal/server"
	"webserv/internal/servertest"
)

// A connection's goroutine outlives its connection as an idle worker and
// serves the next one with the stack it already grew; shutdown ends the
// idle workers. The connections come through the PROXY protocol, whose
// header is read in a goroutine of the connection's own: where event
// loops accept (accept_linux.go), plain ones are served there.
func TestWorkersReused(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, `
server {
    listen 127.0.0.1:$PORT0 proxy_protocol;
    root www;
}
`, 1, map[string]string{"www/a.txt": "hello"})
	base := server.IdleWorkers(s.Srv)
	for i := range 20 {
		r, _ := s.Exchange(t, 0, "GET", "PROXY UNKNOWN\r\nGET /a.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
		if r.StatusCode != 200 || string(r.Body) != "hello" {
			t.Fatalf("request %d: %d %q", i, r.StatusCode, r.Body)
		}
		// One connection at a time: its goroutine then waits for the
		// next. (Now and then a second one starts, when the connection
		// arrives while the first is between serving and waiting.)
		poll(t, "worker idle after the connection", func() string {
			if n := server.IdleWorkers(s.Srv); n < base+1 {
				return fmt.Sprintf("%d idle workers, want at least %d", n, base+1)
			}
			return ""
		})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s.Srv.Shutdown(ctx)
	poll(t, "idle workers gone after shutdown", func() string {
		if n := server.IdleWorkers(s.Srv); n > base {
			return fmt.Sprintf("%d idle workers, want %d", n, base)
		}
		return ""
	})
}
