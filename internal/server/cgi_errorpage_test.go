package server_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"webserv/internal/servertest"
)

// SPEC §5: a CGI script is only ever run, never sent as a file, whichever
// way it is reached. Each page's source holds a marker that its output
// never does, so that a disclosed source shows whatever the status.
const cgiSourceMarker = "SOURCE-MARKER"

// An error_page that names a CGI program runs it, as a GET without the
// body, and the response keeps the error's status (nginx's `error_page
// 404 /404.php`); the static handler refuses a script it is handed
// anyway (an index entry the CGI handler does not take).
func TestCGIErrorPageRuns(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 not installed (CI installs it)")
	}
	conf := `
server {
    listen 127.0.0.1:$PORT0;
    root www;
    error_page 404 405 /cgi-bin/env.py?from=error;
    location / {
        methods GET HEAD POST;
    }
    location /cgi-bin/ {
        cgi .py python3;
        cgi .sh;
    }
    # The page routes to another location: its cgi directives decide.
    location /sh/ {
        error_page 404 /cgi-bin/status.sh;
    }
    location /broken/ {
        error_page 404 /cgi-bin/broken.sh;
    }
    # A page that is code here, routed to a location without that cgi
    # extension: not sent.
    location /code/ {
        cgi .sh;
        error_page 404 /plain/page.sh;
    }
    # "sub/x.sh" is not an index the CGI handler runs (nginx's form with
    # a slash is an internal redirect); the static handler must not send it.
    location /src/ {
        cgi .sh;
        index sub/x.sh;
    }
}
`
	files := map[string]string{
		"www/cgi-bin/env.py": "# " + cgiSourceMarker + "\nimport os\n" +
			"print('Content-Type: text/plain\\n')\n" +
			"for k in ('REQUEST_METHOD', 'REQUEST_URI', 'QUERY_STRING', 'SCRIPT_NAME', 'REDIRECT_STATUS', 'CONTENT_LENGTH'):\n" +
			"    print(k + '=' + os.environ.get(k, '-'))\n",
		// Its Status and Location do not change the error's status.
		"www/cgi-bin/status.sh": "#!/bin/sh\n# " + cgiSourceMarker + "\nprintf 'Status: 200 OK\\nX-Page: sh\\nContent-Type: text/plain\\n\\nsh page\\n'\n",
		"www/cgi-bin/broken.sh": "#!/bin/sh\n# " + cgiSourceMarker + "\necho 'not a header'\n",
		"www/src/sub/x.sh":      "#!/bin/sh\n# " + cgiSourceMarker + "\nprintf 'Content-Type: text/plain\\n\\nran\\n'\n",
		"www/plain/page.sh":     "#!/bin/sh\n# " + cgiSourceMarker + "\nprintf 'Content-Type: text/plain\\n\\nran\\n'\n",
	}
	s := servertest.Start(t, conf, 1, files)
	for _, f := range []string{"www/cgi-bin/status.sh", "www/cgi-bin/broken.sh", "www/src/sub/x.sh"} {
		if err := os.Chmod(filepath.Join(s.Dir, f), 0o755); err != nil {
			t.Fatal(err)
		}
	}

	tests := []struct {
		name     string
		method   string
		target   string
		body     string
		status   int
		contains []string
		header   [2]string
	}{
		{
			name: "GET of a missing file", method: "GET", target: "/missing?x=1", status: 404,
			contains: []string{"REQUEST_METHOD=GET\n", "REQUEST_URI=/missing?x=1\n", "QUERY_STRING=from=error\n",
				"SCRIPT_NAME=/cgi-bin/env.py\n", "REDIRECT_STATUS=404\n"},
		},
		{
			// No upload_store: a 405, whose page runs as a GET.
			name: "POST runs the page as a GET without the body", method: "POST", target: "/missing", body: "a=1", status: 405,
			contains: []string{"REQUEST_METHOD=GET\n", "CONTENT_LENGTH=-\n", "REDIRECT_STATUS=405\n"},
		},
		{name: "HEAD", method: "HEAD", target: "/missing", status: 404},
		{
			name: "page in another location keeps the status", method: "GET", target: "/sh/missing", status: 404,
			contains: []string{"sh page\n"}, header: [2]string{"X-Page", "sh"},
		},
		{name: "failing page falls back to the built-in page", method: "GET", target: "/broken/x", status: 404, contains: []string{"<h1>404 Not Found</h1>"}},
		{name: "static handler refuses a script", method: "GET", target: "/src/", status: 403},
		{name: "page that is code where the error arose", method: "GET", target: "/code/missing", status: 404, contains: []string{"<h1>404 Not Found</h1>"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := doBody(t, tt.method, s.URL(0, tt.target), tt.body)
			if resp.StatusCode != tt.status {
				t.Errorf("status %d, want %d; body %q", resp.StatusCode, tt.status, body)
			}
			if strings.Contains(string(body), cgiSourceMarker) || strings.Contains(string(body), "import os") {
				t.Fatalf("script source sent: %q", body)
			}
			if tt.method == "HEAD" && len(body) != 0 {
				t.Errorf("HEAD body %q", body)
			}
			for _, c := range tt.contains {
				if !strings.Contains(string(body), c) {
					t.Errorf("body lacks %q:\n%s", c, body)
				}
			}
			if tt.header[0] != "" && resp.Header.Get(tt.header[0]) != tt.header[1] {
				t.Errorf("%s = %q, want %q", tt.header[0], resp.Header.Get(tt.header[0]), tt.header[1])
			}
		})
	}
}

// The report's case: a PHP site whose 404 page is index.php. php-cgi runs
// it for the 404; its source never goes out.
func TestPHPErrorPage(t *testing.T) {
	t.Parallel()
	php, err := exec.LookPath("php-cgi")
	if err != nil {
		t.Skip("php-cgi not installed (CI installs it: apt-get install php-cgi)")
	}
	conf := `
server {
    listen 127.0.0.1:$PORT0;
    root www;
    index index.php;
    cgi .php ` + php + `;
    error_page 404 /index.php;
}
`
	s := servertest.Start(t, conf, 1, map[string]string{
		"www/index.php": `<?php /* ` + cgiSourceMarker + ` */ echo "php says " . $_SERVER["REQUEST_URI"] . " " . $_SERVER["REDIRECT_STATUS"]; ?>`,
	})
	resp, body := do(t, "GET", s.URL(0, "/nowhere"))
	if resp.StatusCode != 404 || string(body) != "php says /nowhere 404" {
		t.Errorf("got %d %q %q, want 404 \"php says /nowhere 404\"", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	if strings.Contains(string(body), cgiSourceMarker) {
		t.Errorf("PHP source sent: %q", body)
	}
	// The page itself, asked for directly, is a 200.
	if resp, body := do(t, "GET", s.URL(0, "/")); resp.StatusCode != 200 || string(body) != "php says / 200" {
		t.Errorf("index: got %d %q", resp.StatusCode, body)
	}
}
