package http1

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"webserv/internal/servertest/wait"
)

// datePattern matches the Date line so responses can be compared as text.
var datePattern = regexp.MustCompile(`Date: [A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT\r\n`)

func normalise(s string) string { return datePattern.ReplaceAllString(s, "Date: D\r\n") }

func TestResponseWriter(t *testing.T) {
	tests := []struct {
		name      string
		minor     int
		head      bool
		keepAlive bool
		run       func(w *ResponseWriter)
		want      string
		wantKeep  bool
	}{
		{
			name: "known length", minor: 1, keepAlive: true,
			run: func(w *ResponseWriter) {
				w.Header().Set("Content-Type", "text/plain")
				w.SetContentLength(5)
				w.Write([]byte("hello"))
			},
			want:     "HTTP/1.1 200 OK\r\nServer: webserv\r\nDate: D\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello",
			wantKeep: true,
		},
		{
			name: "unknown length is chunked on 1.1", minor: 1, keepAlive: true,
			run: func(w *ResponseWriter) {
				w.Write([]byte("ab"))
				w.Write([]byte("cde"))
			},
			want:     "HTTP/1.1 200 OK\r\nServer: webserv\r\nDate: D\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n3\r\ncde\r\n0\r\n\r\n",
			wantKeep: true,
		},
		{
			name: "unknown length closes on 1.0", minor: 0, keepAlive: true,
			run: func(w *ResponseWriter) {
				w.Write([]byte("ab"))
			},
			want:     "HTTP/1.1 200 OK\r\nServer: webserv\r\nDate: D\r\nConnection: close\r\n\r\nab",
			wantKeep: false,
		},
		{
			name: "1.0 keep-alive is announced", minor: 0, keepAlive: true,
			run: func(w *ResponseWriter) {
				w.SetContentLength(1)
				w.Write([]byte("x"))
			},
			want:     "HTTP/1.1 200 OK\r\nServer: webserv\r\nDate: D\r\nContent-Length: 1\r\nConnection: keep-alive\r\n\r\nx",
			wantKeep: true,
		},
		{
			name: "HEAD keeps the length, drops the body", minor: 1, head: true, keepAlive: true,
			run: func(w *ResponseWriter) {
				w.SetContentLength(5)
				w.Write([]byte("hello"))
			},
			want:     "HTTP/1.1 200 OK\r\nServer: webserv\r\nDate: D\r\nContent-Length: 5\r\n\r\n",
			wantKeep: true,
		},
		{
			name: "204 has no framing headers", minor: 1, keepAlive: true,
			run: func(w *ResponseWriter) {
				w.Header().Set("Allow", "GET")
				w.WriteHeader(204)
			},
			want:     "HTTP/1.1 204 No Content\r\nServer: webserv\r\nDate: D\r\nAllow: GET\r\n\r\n",
			wantKeep: true,
		},
		{
			name: "nothing written means an empty body", minor: 1, keepAlive: false,
			run: func(w *ResponseWriter) {
				w.WriteHeader(404)
			},
			want:     "HTTP/1.1 404 Not Found\r\nServer: webserv\r\nDate: D\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
			wantKeep: false,
		},
		{
			name: "ReadFrom with a length", minor: 1, keepAlive: true,
			run: func(w *ResponseWriter) {
				w.SetContentLength(3)
				w.ReadFrom(strings.NewReader("xyz"))
			},
			want:     "HTTP/1.1 200 OK\r\nServer: webserv\r\nDate: D\r\nContent-Length: 3\r\n\r\nxyz",
			wantKeep: true,
		},
		{
			name: "server_tokens on shows the version", minor: 1, keepAlive: true,
			run: func(w *ResponseWriter) {
				w.ServerTokens = true
				w.SetContentLength(0)
			},
			want:     "HTTP/1.1 200 OK\r\nServer: webserv/" + Version + "\r\nDate: D\r\nContent-Length: 0\r\n\r\n",
			wantKeep: true,
		},
		{
			name: "short body breaks the framing", minor: 1, keepAlive: true,
			run: func(w *ResponseWriter) {
				w.SetContentLength(10)
				w.Write([]byte("abc"))
			},
			want:     "HTTP/1.1 200 OK\r\nServer: webserv\r\nDate: D\r\nContent-Length: 10\r\n\r\nabc",
			wantKeep: false,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			var w ResponseWriter
			w.Reset(&buf, tt.minor, tt.head, tt.keepAlive)
			tt.run(&w)
			w.Finish()
			if got := normalise(buf.String()); got != tt.want {
				t.Errorf("got\n%q\nwant\n%q", got, tt.want)
			}
			if w.KeepAlive != tt.wantKeep {
				t.Errorf("KeepAlive: got %v, want %v", w.KeepAlive, tt.wantKeep)
			}
		})
	}
}

func TestResponseWriterRejectsOverlongBody(t *testing.T) {
	var w ResponseWriter
	w.Reset(io.Discard, 1, false, true)
	w.SetContentLength(2)
	if _, err := w.Write([]byte("abc")); err != ErrBodyTooLong {
		t.Errorf("got %v, want ErrBodyTooLong", err)
	}
}

func TestHeaderSetAddDel(t *testing.T) {
	var h Header
	h.Add("X-A", "1")
	h.Add("x-a", "2")
	h.Set("X-B", "3")
	h.Set("X-A", "4")
	if got := h.Get("x-A"); got != "4" || h.Len() != 2 {
		t.Errorf("after Set: got %q with %d fields, want \"4\" with 2", got, h.Len())
	}
	h.Del("X-B")
	if h.Get("X-B") != "" || h.Len() != 1 {
		t.Errorf("after Del: got %d fields", h.Len())
	}
}

// A small response (head + body in one writev) allocates nothing once the
// writer's buffers have grown.
func TestResponseWriterAllocs(t *testing.T) {
	var w ResponseWriter
	body := []byte("hello, world")
	allocs := testing.AllocsPerRun(100, func() {
		w.Reset(io.Discard, 1, false, true)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.SetContentLength(int64(len(body)))
		w.WriteHeader(200)
		w.Write(body)
		w.Finish()
	})
	if allocs != 0 {
		t.Errorf("got %v allocs per response, want 0", allocs)
	}
}

func BenchmarkResponseSmall(b *testing.B) {
	var w ResponseWriter
	body := []byte("hello, world")
	b.ReportAllocs()
	for b.Loop() {
		w.Reset(io.Discard, 1, false, true)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.SetContentLength(int64(len(body)))
		w.WriteHeader(200)
		w.Write(body)
		w.Finish()
	}
}

func TestRebase(t *testing.T) {
	old := []byte("GET /p?q HTTP/1.1\r\nHost: h\r\n\r\nrest")
	r := Request{
		Method: old[0:3], Target: old[4:8], Path: old[4:6], Query: old[7:8], Host: old[25:26],
		Fields: []Field{{Name: old[19:23], Value: old[25:26]}},
	}
	dst := append([]byte(nil), old...)
	r.Rebase(old, dst)
	old[0], old[4], old[25] = 'X', 'X', 'X' // the read buffer is refilled
	if string(r.Method) != "GET" || string(r.Target) != "/p?q" || string(r.Host) != "h" ||
		string(r.Fields[0].Name) != "Host" || string(r.Fields[0].Value) != "h" || string(r.Query) != "q" {
		t.Errorf("after rebase: %q %q %q %q %q", r.Method, r.Target, r.Host, r.Fields[0].Name, r.Fields[0].Value)
	}
}

// deadlineConn records the write deadlines set on it.
type deadlineConn struct {
	bytes.Buffer
	set []time.Time
}

func (d *deadlineConn) SetWriteDeadline(t time.Time) error {
	d.set = append(d.set, t)
	return nil
}

// send_timeout is armed before writing, but a deadline armed moments ago
// on the same connection is not moved again (one timer update per
// deadlineSlack, not per response), unless it would outlast a shorter
// timeout or the connection changed.
func TestWriteDeadlineArmedLazily(t *testing.T) {
	respond := func(w *ResponseWriter, c io.Writer, timeout time.Duration) {
		w.Reset(c, 1, false, true)
		w.SendTimeout = timeout
		w.SetContentLength(2)
		w.WriteHeader(200)
		w.Write([]byte("ok"))
		w.Finish()
	}
	var w ResponseWriter
	a := &deadlineConn{}
	start := time.Now()
	respond(&w, a, time.Minute)
	if len(a.set) != 1 || a.set[0].Sub(start) < time.Minute-time.Second || a.set[0].Sub(start) > time.Minute+time.Second {
		t.Fatalf("first response: deadlines %v, want one a minute from now", a.set)
	}
	for range 5 {
		respond(&w, a, time.Minute)
	}
	if len(a.set) != 1 {
		t.Errorf("same connection, moments later: %d deadlines set, want still 1", len(a.set))
	}
	respond(&w, a, 10*time.Second)
	if len(a.set) != 2 || a.set[1].Sub(time.Now()) > 10*time.Second {
		t.Errorf("shorter timeout: deadlines %v, want a new one within 10s", a.set)
	}
	b := &deadlineConn{}
	respond(&w, b, 10*time.Second)
	if len(b.set) != 1 {
		t.Errorf("another connection: %d deadlines set on it, want 1", len(b.set))
	}
	w.Reset(nil, 1, false, false) // handed back to a pool
	respond(&w, b, 10*time.Second)
	if len(b.set) != 2 {
		t.Errorf("after Reset(nil): %d deadlines, want 2", len(b.set))
	}
}

// closeHook is a HeadHook that counts its calls and clears KeepAlive.
type closeHook struct{ calls int }

func (h *closeHook) BeforeHead(w *ResponseWriter) {
	h.calls++
	w.KeepAlive = false
}

// BeforeHead runs once, before the head, only for a persistent response,
// and what it decides is what the head says; Reset removes it.
func TestBeforeHead(t *testing.T) {
	tests := []struct {
		name      string
		minor     int
		keepAlive bool
		calls     int
		want      string
	}{
		{"persistent: the hook announces the close", 1, true, 1, "HTTP/1.1 200 OK\r\nServer: webserv\r\nDate: D\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"},
		{"closing anyway: not called", 1, false, 0, "HTTP/1.1 200 OK\r\nServer: webserv\r\nDate: D\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"},
		{"HTTP/1.0 close-delimited: not called", 0, true, 0, "HTTP/1.1 200 OK\r\nServer: webserv\r\nDate: D\r\nConnection: close\r\n\r\nok"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			var w ResponseWriter
			w.Reset(&buf, tt.minor, false, tt.keepAlive)
			h := &closeHook{}
			w.BeforeHead = h
			if tt.minor == 1 {
				w.SetContentLength(2)
			}
			w.Write([]byte("o"))
			w.Write([]byte("k"))
			w.Finish()
			if got := normalise(buf.String()); got != tt.want || h.calls != tt.calls || w.KeepAlive {
				t.Errorf("got %q, %d calls, keep-alive %v; want %q, %d calls, false", got, h.calls, w.KeepAlive, tt.want, tt.calls)
			}
			w.Reset(&buf, 1, false, true)
			if w.BeforeHead != nil {
				t.Errorf("Reset kept the hook")
			}
		})
	}
}

// The Date field is the current time (RFC 9110 §6.6.1), kept by a
// goroutine rather than read from the clock per response: it is never
// more than a moment behind, and it moves on.
func TestDateCurrent(t *testing.T) {
	t.Parallel()
	date := func() time.Time {
		t.Helper()
		d, err := time.Parse(TimeFormat, string(dateBytes()))
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	first := date()
	if d := time.Since(first); d < -time.Second || d > 2*time.Second {
		t.Fatalf("Date %v is %v away from now", first, d)
	}
	wait.Until(t, 5*time.Second, func() error {
		if d := date(); !d.After(first) {
			return fmt.Errorf("Date still %v", d)
		}
		return nil
	})
}
