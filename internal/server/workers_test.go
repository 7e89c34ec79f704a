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
// idle workers.
func TestWorkersReused(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, plainConf, 1, map[string]string{"www/a.txt": "hello"})
	base := server.IdleWorkers(s.Srv)
	for i := range 20 {
		st, body, err := simpleGet(s.Addrs[0], "/a.txt")
		if err != nil || st != 200 || body != "hello" {
			t.Fatalf("request %d: %d %q %v", i, st, body, err)
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
