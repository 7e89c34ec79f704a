package server_test

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"webserv/internal/servertest"
)

// The error log says why a request failed (SPEC, error_log): every 4xx at
// debug and every 5xx at error, with its cause — the file for a 403 or
// 404, the parser's message for a malformed head.

const errorLogConf = `
server {
    listen 127.0.0.1:$PORT0;
    root www;
    location /cgi/ { cgi .sh; }
}
`

func startErrorLog(t *testing.T) *servertest.Server {
	t.Helper()
	s := servertest.Start(t, errorLogConf, 1, map[string]string{
		"www/index.html": "home",
		"www/dir/":       "",
		// No blank line after its header: not a CGI response (502).
		"www/cgi/bad.sh": "#!/bin/sh\necho 'no header at all'\n",
	})
	if err := os.Chmod(filepath.Join(s.Dir, "www/cgi/bad.sh"), 0o755); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestErrorLogCauses(t *testing.T) {
	t.Parallel()
	s := startErrorLog(t)
	www := filepath.Join(s.Dir, "www")
	for _, tc := range []struct {
		name, raw string
		status    int
		want      string // a line of the error log contains it
	}{
		{"404", "GET /missing.html HTTP/1.1\r\nHost: a\r\n\r\n", 404,
			`level=DEBUG msg="request failed" status=404 cause="file not found: ` + www + `/missing.html" method=GET target=/missing.html`},
		{"403 no index", "GET /dir/ HTTP/1.1\r\nHost: a\r\n\r\n", 403,
			`level=DEBUG msg="request failed" status=403 cause="directory without an index file (autoindex off): ` + www + `/dir" method=GET target=/dir/`},
		{"405", "DELETE /index.html HTTP/1.1\r\nHost: a\r\n\r\n", 405,
			`level=DEBUG msg="request failed" status=405 cause="method not allowed by the location's methods" method=DELETE target=/index.html`},
		{"400 from the parser", "GET /x HTTP/1.1\r\nHost: a\r\nNo colon here\r\n\r\n", 400,
			`level=DEBUG msg="request rejected" status=400 cause="field line without colon" remote=127.0.0.1:`},
		{"502", "GET /cgi/bad.sh HTTP/1.1\r\nHost: a\r\n\r\n", 502,
			`level=ERROR msg="request failed" status=502 cause="cgi: bad gateway" method=GET target=/cgi/bad.sh`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, _ := s.Exchange(t, 0, "GET", tc.raw)
			if resp.StatusCode != tc.status {
				t.Fatalf("got %d, want %d", resp.StatusCode, tc.status)
			}
			// The line is written before the response.
			if log := s.Log.String(); !strings.Contains(log, tc.want) {
				t.Errorf("error log:\n%s\nwant a line containing %s", log, tc.want)
			}
		})
	}
}

// At the default level (info) a 4xx logs nothing and a 5xx still logs.
func TestErrorLogDefaultLevel(t *testing.T) {
	t.Parallel()
	s := startErrorLog(t)
	s.Level.Set(slog.LevelInfo)
	if resp, _ := s.Exchange(t, 0, "GET", "GET /missing.html HTTP/1.1\r\nHost: a\r\n\r\n"); resp.StatusCode != 404 {
		t.Fatalf("got %d, want 404", resp.StatusCode)
	}
	if resp, _ := s.Exchange(t, 0, "GET", "GET /cgi/bad.sh HTTP/1.1\r\nHost: a\r\n\r\n"); resp.StatusCode != 502 {
		t.Fatalf("got %d, want 502", resp.StatusCode)
	}
	log := s.Log.String()
	if strings.Contains(log, "status=404") || !strings.Contains(log, `level=ERROR msg="request failed" status=502`) {
		t.Errorf("error log:\n%s\nwant the 502 at ERROR and no 404 line", log)
	}
}
