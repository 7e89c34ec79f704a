package config

import (
	"crypto/tls"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// parseErr parses conf in a fresh test directory and returns the error's
// lines with the directory and file name prefix removed.
func parseLines(t *testing.T, conf string) (*Config, []string) {
	t.Helper()
	dir := testDir(t)
	cfg, err := Parse("t.conf", []byte(strings.ReplaceAll(conf, "$DIR", dir)), dir)
	if err == nil {
		return cfg, nil
	}
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("got %T %v, want *Error or ErrorList", err, err)
	}
	return nil, strings.Split(strings.ReplaceAll(err.Error(), "t.conf:", ""), "\n")
}

func TestNginxIgnoredWarn(t *testing.T) {
	t.Parallel()
	conf := `user www-data;
worker_processes auto;
pid /run/nginx.pid;
events {
	worker_connections 768;
	multi_accept on;
}
http {
	sendfile on;
	tcp_nopush on;
	types_hash_max_size 2048;
	ssl_prefer_server_ciphers on;
	gzip on;
	gzip_types text/plain text/css;
	server { listen 1; sendfile off; }
}
`
	cfg, errs := parseLines(t, conf)
	if errs != nil {
		t.Fatalf("errors: %q", errs)
	}
	var got []string
	for _, w := range cfg.Warnings {
		got = append(got, strings.TrimPrefix(w.String(), "t.conf:"))
	}
	want := []string{
		"1:1: `user` is ignored: webserv runs as the user that starts it",
		"2:1: `worker_processes` is ignored: webserv is one process that uses every CPU",
		"3:1: `pid` is ignored: webserv writes no pid file",
		"5:2: `worker_connections` is ignored: use `max_connections` in the main context",
		"6:2: `multi_accept` is ignored: webserv accepts every pending connection",
		"9:2: `sendfile` is ignored: webserv always uses sendfile",
		"10:2: `tcp_nopush` is ignored: webserv sends each response head and body in as few packets as it can",
		"11:2: `types_hash_max_size` is ignored: webserv's tables have no size to tune",
		"12:2: `ssl_prefer_server_ciphers` is ignored: Go's TLS orders the cipher suites itself",
		"15:21: `sendfile` is ignored: webserv always uses sendfile",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// gzip and gzip_types are implemented now (compress.go).
	if c := cfg.Servers[0].Default.Compress; !c.On || c.Codings != Gzip || strings.Join(c.Types, " ") != "text/html text/plain text/css" {
		t.Errorf("got compression %+v, want gzip on for text/html, text/plain and text/css", c)
	}
}

// TestNginxHints: directives webserv does not implement are errors that
// say what to use instead; so are the 42-school dialect's names.
func TestNginxHints(t *testing.T) {
	t.Parallel()
	tests := []struct{ conf, err string }{
		{`location / { fastcgi_pass unix:/run/php/php-fpm.sock; }`, `1:14: directive "fastcgi_pass" is not supported: use "cgi .php /usr/bin/php-cgi;" (webserv runs PHP through php-cgi as CGI/1.1)`},
		{`location / { proxy_pass http://127.0.0.1:3000; }`, `1:14: directive "proxy_pass" is not supported: webserv has no reverse proxy`},
		{`if ($host = a) { return 404; }`, `1:1: directive "if" is not supported: use a ` + "`location` (or `return` in one) instead"},
		{`rewrite ^ https://x/ permanent;`, `1:1: directive "rewrite" is not supported: for a redirect use "return 301 URL;"`},
		{`allow_methods GET POST;`, `1:1: unknown directive "allow_methods": use "methods GET POST;" (upper case)`},
		{`host 127.0.0.1;`, `1:1: unknown directive "host": use "listen ADDR:PORT;"`},
		{`cgi_ext .py;`, `1:1: unknown directive "cgi_ext": use "cgi EXT [INTERPRETER];", as in "cgi .py /usr/bin/python3;"`},
		{`cgi_path /usr/bin/python3;`, `1:1: unknown directive "cgi_path": use "cgi EXT [INTERPRETER];", as in "cgi .py /usr/bin/python3;"`},
		{`methods get post;`, `1:9: unknown method "get": methods are upper case ("GET")`},
		{`location / { limit_except GET; }`, `1:14: directive "limit_except" has no opening "{": use "methods GET POST;"`},
		{`location / { limit_except GET { allow 10.0.0.0/8; deny all; } }`, `1:33: only "deny all;" is supported inside "limit_except"`},
		{`location / { limit_except GET { } }`, `1:14: "limit_except" without "deny all;" restricts nothing: use "methods"`},
	}
	for _, tt := range tests {
		t.Run(tt.conf, func(t *testing.T) {
			const prefix = "server { listen 1; "
			_, errs := parseLines(t, prefix+tt.conf+" }")
			// Columns in the table count from the start of tt.conf.
			var line, col int
			var msg string
			if len(errs) == 1 {
				if n, _ := fmt.Sscanf(errs[0], "%d:%d:", &line, &col); n == 2 {
					_, msg, _ = strings.Cut(errs[0], ": ")
					errs[0] = fmt.Sprintf("%d:%d: %s", line, col-len(prefix), msg)
				}
			}
			if len(errs) != 1 || errs[0] != tt.err {
				t.Errorf("got  %q\nwant %q", errs, tt.err)
			}
		})
	}
}

func TestNginxLimitExcept(t *testing.T) {
	t.Parallel()
	cfg, errs := parseLines(t, "server { listen 1; location / { limit_except GET POST { deny all; } } location /b { } }")
	if errs != nil {
		t.Fatal(errs)
	}
	if got := fmt.Sprint(cfg.Servers[0].Locations[0].Methods); got != "[GET HEAD POST]" {
		t.Errorf("methods = %s, want [GET HEAD POST]", got)
	}
	if got := fmt.Sprint(cfg.Servers[0].Locations[1].Methods); got != "[GET HEAD OPTIONS]" {
		t.Errorf("other location's methods = %s, want the default", got)
	}
}

// TestErrorList: one load reports every mistake, each on its own line in
// file order, reading on after a wrong directive (and after its block).
func TestErrorList(t *testing.T) {
	t.Parallel()
	conf := `server {
	listen 99999;
	allow_methods GET;
	location nopath { root /nonexistent; frob 1; }
	location / { frob 2; }
	autoindex maybe;
}
server { listen 2; }
}
`
	_, errs := parseLines(t, conf)
	want := []string{
		`2:9: invalid port in "99999" of the "listen" directive`,
		`3:2: unknown directive "allow_methods": use "methods GET;" (upper case)`,
		`4:11: invalid location path "nopath", it must start with "/"`,
		`5:15: unknown directive "frob"`,
		`6:12: invalid value "maybe" in "autoindex" directive, it must be "on" or "off"`,
		`9:1: unexpected "}"`,
	}
	if strings.Join(errs, "\n") != strings.Join(want, "\n") {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(errs, "\n"), strings.Join(want, "\n"))
	}
}

func TestErrorListLimit(t *testing.T) {
	t.Parallel()
	conf := "server { listen 1; }\n" + strings.Repeat("frob;\n", 50)
	_, errs := parseLines(t, conf)
	if len(errs) != maxErrors+1 {
		t.Fatalf("got %d errors, want %d and a line saying the reading stopped", len(errs), maxErrors)
	}
	if errs[maxErrors-1] != fmt.Sprintf(`%d:1: unknown directive "frob"`, maxErrors+1) {
		t.Errorf("last error %q", errs[maxErrors-1])
	}
	if want := fmt.Sprintf(`%d:1: too many errors: the first %d are shown; the configuration is not read past here`, maxErrors+2, maxErrors); errs[maxErrors] != want {
		t.Errorf("last line %q, want %q", errs[maxErrors], want)
	}
	// Exactly maxErrors errors: all of them, and no such line.
	_, errs = parseLines(t, "server { listen 1; }\n"+strings.Repeat("frob;\n", maxErrors))
	if len(errs) != maxErrors || strings.Contains(errs[maxErrors-1], "too many") {
		t.Errorf("%d errors: got %d lines, last %q", maxErrors, len(errs), errs[len(errs)-1])
	}
}

// TestTypes: the stock mime.types loads; a level's types replace the
// inherited table; several blocks at one level add up.
func TestTypes(t *testing.T) {
	t.Parallel()
	stock, err := filepath.Abs("testdata/debian/mime.types")
	if err != nil {
		t.Fatal(err)
	}
	conf := `http {
	include ` + stock + `;
	default_type text/plain;
	server {
		listen 1;
		location /txt/ { types { text/plain html htm; } }
		location /two/ { types { a/b x; } types { c/d y; } }
	}
}
`
	cfg, errs := parseLines(t, conf)
	if errs != nil {
		t.Fatal(errs)
	}
	if len(cfg.Warnings) != 0 {
		t.Errorf("warnings: %v", cfg.Warnings)
	}
	s := cfg.Servers[0]
	def := s.Default
	for ext, want := range map[string]string{".html": "text/html", ".js": "application/javascript", ".woff2": "font/woff2", ".jpg": "image/jpeg", ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"} {
		if got := def.Types[ext]; got != want {
			t.Errorf("stock %s = %q, want %q", ext, got, want)
		}
	}
	if n := len(def.Types); n < 100 {
		t.Errorf("stock table has %d extensions, want the whole file", n)
	}
	if def.DefaultType != "text/plain" {
		t.Errorf("default_type = %q", def.DefaultType)
	}
	if got := fmt.Sprint(s.Locations[0].Types); got != "map[.htm:text/plain .html:text/plain]" {
		t.Errorf("location types = %s, want only its own", got)
	}
	if got := fmt.Sprint(s.Locations[1].Types); got != "map[.x:a/b .y:c/d]" {
		t.Errorf("two blocks = %s, want both", got)
	}
	if got := fmt.Sprint(def.Types[".x"]); got != "" {
		t.Errorf("a location's types leaked to the server: %q", got)
	}
}

func TestTypesErrors(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ conf, err string }{
		{"types { text/html; }", `1:9: no extension for MIME type "text/html" in "types"`},
		{"types { html htm; }", `1:9: invalid MIME type "html" in "types"`},
		{"types { text/html .html; }", `1:19: invalid extension ".html" in "types"`},
		{"types { text/html html }", `1:24: unexpected "}" in "types"`},
		{"types;", `1:1: directive "types" has no opening "{"`},
	} {
		t.Run(tt.conf, func(t *testing.T) {
			_, errs := parseLines(t, tt.conf+"\nserver { listen 1; }")
			if len(errs) != 1 || errs[0] != tt.err {
				t.Errorf("got  %q\nwant %q", errs, tt.err)
			}
		})
	}
}

func TestLogFormat(t *testing.T) {
	t.Parallel()
	cfg, errs := parseLines(t, `http {
	log_format main '$remote_addr - $remote_user [$time_local] "$request" '
	                '$status $body_bytes_sent "$http_referer"';
	log_format j escape=json '{"uri":"$uri"}';
	access_log $DIR/access.log main;
	server { listen 1; }
	server { listen 2; access_log $DIR/j.log j; }
	server { listen 3; access_log $DIR/c.log; }
}`)
	if errs != nil {
		t.Fatal(errs)
	}
	s := cfg.Servers
	want := `$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer"`
	if lf := s[0].LogFormat; lf == nil || lf.Name != "main" || lf.Text != want || lf.Escape != "default" || s[0].AccessLogFormat != "main" {
		t.Errorf("server 0: %q %+v", s[0].AccessLogFormat, lf)
	}
	if lf := s[1].LogFormat; lf == nil || lf.Name != "j" || lf.Escape != "json" {
		t.Errorf("server 1: %+v", lf)
	}
	if s[2].LogFormat != nil || s[2].AccessLogFormat != "combined" {
		t.Errorf("server 2: %q %+v", s[2].AccessLogFormat, s[2].LogFormat)
	}
}

func TestLogFormatErrors(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ conf, err string }{
		{`log_format main '$remote_addr $remtoe_user';`, `1:31: unknown "$remtoe_user" variable`},
		{"log_format main\n   \"a\" $status $bogus;", `2:16: unknown "$bogus" variable`},
		{`log_format main escape=xml '$status';`, `1:17: invalid value "escape=xml" in "log_format" directive, it must be "escape=default", "escape=json" or "escape=none"`},
		{`log_format combined '$status';`, `1:12: log format "combined" is built in`},
		{`log_format m '$status'; log_format m '$status';`, `1:36: duplicate "log_format" name "m"`},
		{`access_log $DIR/a.log main;`, `invalid value "main" in "access_log" directive, it must be "combined", "json" or the name of a "log_format" given before it`},
	} {
		t.Run(tt.conf, func(t *testing.T) {
			_, errs := parseLines(t, tt.conf+"\nserver { listen 1; }")
			if len(errs) != 1 || !strings.HasSuffix(errs[0], tt.err) {
				t.Errorf("got  %q\nwant %q", errs, tt.err)
			}
		})
	}
}

func TestSSLDirectives(t *testing.T) {
	t.Parallel()
	cfg, errs := parseLines(t, `ssl_protocols TLSv1 TLSv1.1 TLSv1.2 TLSv1.3;
ssl_ciphers ECDHE-RSA-AES128-GCM-SHA256:DES-CBC3-SHA:ECDHE-ECDSA-CHACHA20-POLY1305;
server { listen 1; }
server { listen 2; ssl_protocols TLSv1.3; ssl_ciphers DES-CBC3-SHA:!aNULL:!MD5; }
`)
	if errs != nil {
		t.Fatal(errs)
	}
	a, b := cfg.Servers[0], cfg.Servers[1]
	if a.TLSMinVersion != tls.VersionTLS12 || a.TLSMaxVersion != tls.VersionTLS13 ||
		fmt.Sprint(a.TLSCipherSuites) != fmt.Sprint([]uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256}) {
		t.Errorf("server a: %x %x %x", a.TLSMinVersion, a.TLSMaxVersion, a.TLSCipherSuites)
	}
	// b's own ssl_ciphers names nothing Go has: Go's default, not a's.
	if b.TLSMinVersion != tls.VersionTLS13 || b.TLSMaxVersion != tls.VersionTLS13 || b.TLSCipherSuites != nil {
		t.Errorf("server b: %x %x %x", b.TLSMinVersion, b.TLSMaxVersion, b.TLSCipherSuites)
	}
	var got []string
	for _, w := range cfg.Warnings {
		got = append(got, strings.TrimPrefix(w.String(), "t.conf:"))
	}
	want := []string{
		"1:15: `ssl_protocols TLSv1 TLSv1.1` is ignored: RFC 8996 deprecates SSL, TLS 1.0 and 1.1; webserv serves TLS 1.2 and 1.3",
		"2:13: `ssl_ciphers`: DES-CBC3-SHA ignored (not a TLS 1.2 suite Go implements as secure)",
		"4:55: `ssl_ciphers DES-CBC3-SHA:!aNULL:!MD5` is ignored: it names none of Go's secure TLS 1.2 suites by its OpenSSL name; Go's default suites are used",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	_, errs = parseLines(t, "ssl_protocols TLSv1;\nserver { listen 1; }")
	if len(errs) != 1 || errs[0] != `1:1: "ssl_protocols" enables no version webserv serves: list "TLSv1.2" or "TLSv1.3"` {
		t.Errorf("TLSv1 only: %q", errs)
	}
}

// TestSSLCiphersKeywords: a keyword (HIGH, DEFAULT, EECDH+AESGCM) selects
// Go's default suites, which are in OpenSSL's HIGH, so that it never
// narrows the list to the suites named beside it; "!NAME" removes a
// suite; a list of names alone is those suites.
func TestSSLCiphersKeywords(t *testing.T) {
	t.Parallel()
	var def []uint16 // Go's default TLS 1.2 suites
	for _, cs := range tls.CipherSuites() {
		if slices.Contains(cs.SupportedVersions, tls.VersionTLS12) && !strings.HasPrefix(cs.Name, "TLS_RSA_") {
			def = append(def, cs.ID)
		}
	}
	without := func(id uint16) []uint16 {
		return slices.DeleteFunc(slices.Clone(def), func(x uint16) bool { return x == id })
	}
	for _, tt := range []struct {
		list string
		want []uint16 // nil: Go's default, left to Go
	}{
		{"ECDHE-RSA-AES128-SHA:HIGH", nil},
		{"HIGH:!aNULL:!MD5", nil},
		{"EECDH+AESGCM:EDH+AESGCM", nil},
		{"ECDHE-RSA-AES128-SHA:HIGH:!ECDHE-RSA-CHACHA20-POLY1305", without(tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256)},
		{"ECDHE-RSA-AES128-SHA", []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA}},
		{"ECDHE-RSA-AES128-SHA:ECDHE-RSA-AES256-SHA:!ECDHE-RSA-AES256-SHA", []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA}},
	} {
		cfg, errs := parseLines(t, "ssl_ciphers "+tt.list+";\nserver { listen 1; }")
		if errs != nil {
			t.Errorf("%s: %q", tt.list, errs)
			continue
		}
		got := cfg.Servers[0].TLSCipherSuites
		if tt.want == nil && got != nil || tt.want != nil && !slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(tt.want))) {
			t.Errorf("%s: suites %x, want %x", tt.list, got, tt.want)
		}
		if len(cfg.Warnings) > 0 {
			t.Errorf("%s: warnings %v", tt.list, cfg.Warnings)
		}
	}
}

// TestDualStackListen: Debian's `listen 80; listen [::]:80;` pair becomes
// one dual-stack address, so that the server can bind it.
func TestDualStackListen(t *testing.T) {
	t.Parallel()
	cfg, errs := parseLines(t, `server { listen 80 default_server; listen [::]:80 default_server; }
server { listen [::]:80; server_name b; }
server { listen [::]:81; listen 127.0.0.1:81; }
server { listen 0.0.0.0:80; server_name c; }
server { listen 0.0.0.0:82; listen [::]:82; }`)
	if errs != nil {
		t.Fatal(errs)
	}
	var got []string
	for _, s := range cfg.Servers {
		var ls []string
		for _, l := range s.Listens {
			ls = append(ls, fmt.Sprintf("%s/%v", l.Addr, l.DefaultServer))
		}
		got = append(got, strings.Join(ls, " "))
	}
	want := []string{":80/true", ":80/false", "[::]:81/false 127.0.0.1:81/false", ":80/false", "0.0.0.0:82/false [::]:82/false"}
	if strings.Join(got, ", ") != strings.Join(want, ", ") {
		t.Errorf("listens %q, want %q", got, want)
	}
}

// TestRefusedOnce: an unsupported directive is reported at its first use
// only, so that an included fastcgi_params does not fill the error list.
func TestRefusedOnce(t *testing.T) {
	t.Parallel()
	_, errs := parseLines(t, `server {
	listen 1;
	fastcgi_param A 1;
	fastcgi_param B 2;
	if ($a) { fastcgi_param C 3; }
	if ($b) { return 404; }
	frob;
}`)
	want := []string{
		`3:2: directive "fastcgi_param" is not supported: use "cgi"; webserv sets the CGI/1.1 variables itself`,
		`5:2: directive "if" is not supported: use a ` + "`location` (or `return` in one) instead",
		`7:2: unknown directive "frob"`,
	}
	if strings.Join(errs, "\n") != strings.Join(want, "\n") {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(errs, "\n"), strings.Join(want, "\n"))
	}
}

func TestNginxParameters(t *testing.T) {
	t.Parallel()
	cfg, errs := parseLines(t, `server {
	listen 8443 ssl http2 default_server;
	listen [::]:8443 ssl http2 ipv6only=on backlog=511;
	ssl_certificate $DIR/cert.pem;
	ssl_certificate_key $DIR/key.pem;
	add_header Strict-Transport-Security "max-age=63072000" always;
}`)
	if errs != nil {
		t.Fatal(errs)
	}
	s := cfg.Servers[0]
	if len(s.Listens) != 1 || s.Listens[0].Addr != ":8443" || !s.Listens[0].SSL || !s.Listens[0].DefaultServer || !s.Listens[0].HTTP2 {
		t.Errorf("listens %+v", s.Listens)
	}
	if len(s.Default.AddHeaders) != 1 || s.Default.AddHeaders[0].Value != "max-age=63072000" {
		t.Errorf("add_header %+v", s.Default.AddHeaders)
	}
	var got []string
	for _, w := range cfg.Warnings {
		got = append(got, strings.TrimPrefix(w.String(), "t.conf:"))
	}
	want := []string{
		"3:29: `listen ... ipv6only=on backlog=511` is ignored: webserv sets its sockets up itself",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	_, errs = parseLines(t, "server { listen 1; add_header A b sometimes; }")
	if len(errs) != 1 || errs[0] != `1:35: invalid parameter "sometimes"` {
		t.Errorf("add_header sometimes: %q", errs)
	}
}

// TestErrorPageEquals: nginx's `=` and `=CODE` forms of error_page are
// refused with a hint instead of a range error about "=".
func TestErrorPageEquals(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ line, err string }{
		{"error_page 404 = @nm;", `2:16: the "=" form of "error_page" (answer with the page's status) is not supported; the page is sent with the error's status: write "error_page 404 @nm;"`},
		{"error_page 404 500 =200 /x.html;", `2:20: the "=CODE" form of "error_page" (answer with another status) is not supported; the page is sent with the error's status: write "error_page 404 500 /x.html;"`},
	} {
		_, errs := parseLines(t, "server { listen 1; location @nm { return 204; } }\n"+tt.line)
		if len(errs) != 1 || errs[0] != tt.err {
			t.Errorf("%s:\ngot  %q\nwant %q", tt.line, errs, tt.err)
		}
	}
}

// TestAccessLogOffInLocation: `access_log off;` (and log_not_found, with
// its warning) load in a location, as in the favicon location of many
// sites; a log file there is refused, the log being the server's.
func TestAccessLogOffInLocation(t *testing.T) {
	t.Parallel()
	cfg, errs := parseLines(t, `server {
    listen 1;
    access_log a.log;
    location = /favicon.ico { access_log off; log_not_found off; }
}`)
	if errs != nil {
		t.Fatal(errs)
	}
	s := cfg.Servers[0]
	if s.AccessLog == "" || s.Default.AccessLogOff || len(s.Locations) != 1 || !s.Locations[0].AccessLogOff {
		t.Errorf("server log %q, default off %v, favicon off %v", s.AccessLog, s.Default.AccessLogOff, s.Locations[0].AccessLogOff)
	}
	_, errs = parseLines(t, "server { listen 1; location / { access_log b.log; } }")
	if len(errs) != 1 || errs[0] != `1:44: a location's "access_log" can only be "off": the log file and format are the server's` {
		t.Errorf("a file in a location: %q", errs)
	}
}

// TestIncludedFilesLimit: includes that multiply (each of 9 levels
// including the next file three times: 29523 reads) stop at
// maxIncludedFiles with one error at the include that went over.
func TestIncludedFilesLimit(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	const levels = 9
	for i := range levels + 1 {
		body := ""
		if i < levels {
			body = strings.Repeat(fmt.Sprintf("include l%d.conf;\n", i+1), 3)
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("l%d.conf", i)), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	main := filepath.Join(dir, "main.conf")
	if err := os.WriteFile(main, []byte("server { listen 1; }\ninclude l0.conf;\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(main)
	var list ErrorList
	var ce *Error
	if errors.As(err, &list) || !errors.As(err, &ce) {
		t.Fatalf("got %v, want one error", err)
	}
	if !strings.HasSuffix(ce.Error(), fmt.Sprintf("more than %d files included in one load (does an include repeat itself?)", maxIncludedFiles)) ||
		!strings.HasPrefix(ce.Pos.File, dir) || ce.Pos.Line == 0 {
		t.Errorf("got %q", ce.Error())
	}
}
