package server_test

import (
	"io"
	"net/http"
	"os/exec"
	"strings"
	"testing"

	"webserv/internal/servertest"
)

// Configurations as nginx users write them (SPEC §2a): variables,
// try_files, regex and named locations, over loopback.

type nginxCase struct {
	method, path, host, body string
	hdr                      []string
	status                   int
	want                     string // body, or "" to skip
	header                   []string
}

func (c nginxCase) run(t *testing.T, s *servertest.Server, port int) {
	t.Helper()
	req, err := http.NewRequest(c.method, s.URL(port, c.path), strings.NewReader(c.body))
	if err != nil {
		t.Fatal(err)
	}
	if c.body == "" {
		req.Body = nil
	}
	if c.host != "" {
		req.Host = c.host
	}
	for i := 0; i+1 < len(c.hdr); i += 2 {
		req.Header.Set(c.hdr[i], c.hdr[i+1])
	}
	req.Header.Set("Accept-Encoding", "identity")
	resp, err := servertest.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != c.status || (c.want != "" && string(b) != c.want) {
		t.Errorf("%s %s: got %d %q, want %d %q", c.method, c.path, resp.StatusCode, string(b), c.status, c.want)
	}
	for i := 0; i+1 < len(c.header); i += 2 {
		if got := resp.Header.Get(c.header[i]); got != c.header[i+1] {
			t.Errorf("%s %s: %s = %.80q, want %.80q", c.method, c.path, c.header[i], got, c.header[i+1])
		}
	}
}

// TestNginxStaticSite: the redirect to https on its own server block, as
// people write it, and a static site with `try_files $uri $uri/ =404`.
func TestNginxStaticSite(t *testing.T) {
	t.Parallel()
	conf := `
server {
    listen 127.0.0.1:$PORT0;
    server_name example.com www.example.com;
    return 301 https://$host$request_uri;
}
server {
    listen 127.0.0.1:$PORT1;
    server_name example.com;
    root www;
    index index.html;
    error_page 404 /404.html;
    add_header X-Path "$uri from $remote_addr via $scheme:$server_port";
    add_header X-Echo $http_x_echo;
    location / {
        try_files $uri $uri/ =404;
    }
    location = /old {
        return 302 /new?from=$arg_ref;
    }
}
`
	s := servertest.Start(t, conf, 2, map[string]string{
		"www/index.html":      "home",
		"www/style.css":       "css",
		"www/docs/index.html": "docs",
		"www/404.html":        "not here",
	})
	port1 := strings.Split(s.Addrs[1], ":")[1]
	long := strings.Repeat("v", 4000)
	for _, c := range []nginxCase{
		{method: "GET", path: "/a/b?x=1&y=%20", host: "Example.COM:8080", status: 301, header: []string{"Location", "https://example.com/a/b?x=1&y=%20"}},
		{method: "GET", path: "/", host: "www.example.com", status: 301, header: []string{"Location", "https://www.example.com/"}},
	} {
		c.run(t, s, 0)
	}
	for _, c := range []nginxCase{
		{method: "GET", path: "/", status: 200, want: "home", header: []string{"X-Path", "/ from 127.0.0.1 via http:" + port1}},
		{method: "GET", path: "/style.css", status: 200, want: "css", header: []string{"X-Path", "/style.css from 127.0.0.1 via http:" + port1}},
		{method: "GET", path: "/docs", status: 301, header: []string{"Location", "/docs/"}}, // as nginx
		{method: "GET", path: "/docs/", status: 200, want: "docs"},
		{method: "GET", path: "/nope", status: 404, want: "not here"},
		{method: "GET", path: "/style.css/", status: 404, want: "not here"},
		{method: "GET", path: "/old?ref=a%0d%0ab", status: 302, header: []string{"Location", "/new?from=a%0d%0ab"}},
		{method: "GET", path: "/", hdr: []string{"X-Echo", long}, status: 200, header: []string{"X-Echo", long}},
	} {
		c.run(t, s, 1)
	}
}

// TestNginxSPA: a single-page app with a history fallback and an API
// location beside it.
func TestNginxSPA(t *testing.T) {
	t.Parallel()
	conf := `
server {
    listen 127.0.0.1:$PORT0;
    root dist;
    location / {
        try_files $uri /index.html;
    }
    location /api/ {
        return 200 "api $request_method $uri $arg_id";
    }
    location ~* \.(js|css)$ {
        add_header Cache-Control "public, max-age=31536000";
        try_files $uri =404;
    }
}
`
	s := servertest.Start(t, conf, 1, map[string]string{
		"dist/index.html":     "<app>",
		"dist/assets/app.js":  "js",
		"dist/assets/app.css": "css",
	})
	for _, c := range []nginxCase{
		{method: "GET", path: "/", status: 200, want: "<app>"},
		{method: "GET", path: "/users/42?tab=x", status: 200, want: "<app>"},
		{method: "GET", path: "/deep/link/", status: 200, want: "<app>"},
		{method: "HEAD", path: "/users/42", status: 200},
		{method: "GET", path: "/assets/app.js", status: 200, want: "js", header: []string{"Cache-Control", "public, max-age=31536000"}},
		{method: "GET", path: "/assets/APP.CSS", status: 404},
		{method: "GET", path: "/api/users?id=7", status: 200, want: "api GET /api/users 7"},
	} {
		c.run(t, s, 0)
	}
}

// TestNginxPHPFrontController: `try_files $uri $uri/ /index.php?$args`
// with real php-cgi. The script runs — never sent — with REQUEST_URI the
// original target and QUERY_STRING the args, and a POST keeps its body
// through the internal redirect.
func TestNginxPHPFrontController(t *testing.T) {
	php, err := exec.LookPath("php-cgi")
	if err != nil {
		t.Skip("php-cgi not installed (CI installs it: apt-get install php-cgi)")
	}
	t.Parallel()
	conf := `
server {
    listen 127.0.0.1:$PORT0;
    root public;
    index index.php index.html;
    methods GET POST;
    cgi .php ` + php + `;
    location / {
        try_files $uri $uri/ /index.php?$args;
    }
    location ~ ^/files/(\w+)\.txt$ {
        return 200 "file $1";
    }
}
`
	s := servertest.Start(t, conf, 1, map[string]string{
		"public/index.php":      `<?php echo "front ", $_SERVER["REQUEST_METHOD"], " ", $_SERVER["REQUEST_URI"], " ", $_SERVER["SCRIPT_NAME"], " q=", $_SERVER["QUERY_STRING"], " a=", $_GET["a"] ?? "", " p=", $_POST["p"] ?? ""; ?>`,
		"public/info.php":       `<?php echo "info"; ?>`,
		"public/robots.txt":     "robots",
		"public/sub/index.html": "sub",
	})
	form := []string{"Content-Type", "application/x-www-form-urlencoded"}
	for _, c := range []nginxCase{
		{method: "GET", path: "/", status: 200, want: "front GET / /index.php q= a= p="},
		{method: "GET", path: "/blog/post-1?a=1", status: 200, want: "front GET /blog/post-1?a=1 /index.php q=a=1 a=1 p="},
		{method: "POST", path: "/login?a=2", body: "p=secret", hdr: form, status: 200, want: "front POST /login?a=2 /index.php q=a=2 a=2 p=secret"},
		{method: "GET", path: "/index.php", status: 200, want: "front GET /index.php /index.php q= a= p="},
		{method: "GET", path: "/info.php", status: 200, want: "info"},
		{method: "GET", path: "/robots.txt", status: 200, want: "robots"},
		{method: "GET", path: "/sub/", status: 200, want: "sub"},
		{method: "GET", path: "/missing.php", status: 200, want: "front GET /missing.php /index.php q= a= p="},
		{method: "GET", path: "/files/report.txt", status: 200, want: "file report"},
	} {
		c.run(t, s, 0)
	}
}

// TestNginxNamedAndLoops: @name fallbacks from try_files and error_page,
// alias with captures, and try_files redirect loops bounded.
func TestNginxNamedAndLoops(t *testing.T) {
	t.Parallel()
	conf := `
server {
    listen 127.0.0.1:$PORT0;
    root www;
    location / {
        try_files $uri @fallback;
    }
    location @fallback {
        return 200 "fallback $uri";
    }
    location /loop/ {
        try_files $uri /loop/again;
    }
    location ~ ^/u/(\w+)/(.+)$ {
        alias $document_root/users/$1/$2;
    }
    location /err/ {
        error_page 404 @nf;
        try_files $uri =404;
    }
    location @nf {
        return 410 "gone $uri";
    }
    location ~ ^/cap/(\w+)$ {
        add_header X-Cap "got $1";
        try_files /$1.txt =404;
    }
    location /i/ {
        alias data/;
        try_files $uri $uri.txt =404;
        add_header X-File $request_filename;
    }
    location /moved/ {
        error_page 404 https://new.example.com/from$uri?h=$http_x_tag;
    }
}
`
	s := servertest.Start(t, conf, 1, map[string]string{
		"www/a.txt":              "a",
		"www/users/bob/card.txt": "bob's card",
		"data/pic.txt":           "pic",
	})
	for _, c := range []nginxCase{
		{method: "GET", path: "/a.txt", status: 200, want: "a"},
		{method: "GET", path: "/b.txt", status: 200, want: "fallback /b.txt"},
		{method: "GET", path: "/loop/x", status: 500},
		{method: "GET", path: "/u/bob/card.txt", status: 200, want: "bob's card"},
		{method: "GET", path: "/u/eve/card.txt", status: 404},
		{method: "GET", path: "/err/x", status: 404, want: "gone /err/x"}, // the error's status, as nginx keeps it
		{method: "GET", path: "/i/pic.txt", status: 200, want: "pic", header: []string{"X-File", s.Dir + "/data/pic.txt"}},
		{method: "GET", path: "/i/pic", status: 200, want: "pic", header: []string{"X-File", s.Dir + "/data/pic.txt"}},
		{method: "GET", path: "/i/nope", status: 404},
		{method: "GET", path: "/cap/a", status: 200, want: "a", header: []string{"X-Cap", "got a"}},
		{method: "GET", path: "/cap/zz", status: 404},
		{method: "GET", path: "/moved/a%20b", hdr: []string{"X-Tag", "t1"}, status: 302, header: []string{"Location", "https://new.example.com/from/moved/a b?h=t1"}},
	} {
		c.run(t, s, 0)
	}
}

// TestNginxPHPRegexLocation: the PHP site as nginx configurations write
// it, CGI in `location ~ \.php$` and not in `location /`. "/" is served
// by `location /`, whose index file index.php another location runs: as
// nginx's index module does, the index is an internal redirect that
// selects a location again, so the script runs and its source is never
// sent (SPEC §5).
func TestNginxPHPRegexLocation(t *testing.T) {
	php, err := exec.LookPath("php-cgi")
	if err != nil {
		t.Skip("php-cgi not installed (CI installs it: apt-get install php-cgi)")
	}
	t.Parallel()
	conf := `
server {
    listen 127.0.0.1:$PORT0;
    root public;
    index index.php index.html;
    location / {
        try_files $uri $uri/ /index.php?$args;
    }
    location ~ \.php$ {
        try_files $uri =404;
        cgi .php ` + php + `;
    }
}
`
	s := servertest.Start(t, conf, 1, map[string]string{
		"public/index.php":     `<?php echo "front ", $_SERVER["REQUEST_URI"], " ", $_SERVER["SCRIPT_NAME"]; ?>`,
		"public/sub/index.php": `<?php echo "sub ", $_SERVER["SCRIPT_NAME"]; ?>`,
	})
	for _, c := range []nginxCase{
		{method: "GET", path: "/", status: 200, want: "front / /index.php"},
		{method: "GET", path: "/sub/", status: 200, want: "sub /sub/index.php"},
		{method: "GET", path: "/a/b", status: 200, want: "front /a/b /index.php"},
		{method: "GET", path: "/nope.php", status: 404},
	} {
		c.run(t, s, 0)
	}
}

// TestErrorPageNeverSendsScript: an error_page URI that a regex cgi
// location serves is not sent as a file (SPEC §5: a script is only ever
// run); this one cannot run (not executable), so the built-in page
// answers.
func TestErrorPageNeverSendsScript(t *testing.T) {
	t.Parallel()
	conf := `
server {
    listen 127.0.0.1:$PORT0;
    root www;
    error_page 404 /404.php;
    location ~ \.php$ {
        cgi .php;
    }
}
`
	s := servertest.Start(t, conf, 1, map[string]string{
		"www/404.php":   "<?php secret(); ?>",
		"www/plain.txt": "plain",
	})
	for _, c := range []nginxCase{
		{method: "GET", path: "/nope", status: 404},
		{method: "GET", path: "/plain.txt", status: 200, want: "plain"},
	} {
		c.run(t, s, 0)
	}
	for _, p := range []string{"/nope", "/nope.txt"} {
		_, body := do(t, "GET", s.URL(0, p))
		if strings.Contains(string(body), "secret") {
			t.Errorf("%s: the script's source was sent: %q", p, body)
		}
	}
}
