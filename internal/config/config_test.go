package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestLexer(t *testing.T) {
	type tok struct {
		text   string
		line   int
		col    int
		quoted bool
	}
	tests := []struct {
		name string
		src  string
		want []tok
		err  string
	}{
		{"empty", "", nil, ""},
		{"words", "root  www;", []tok{{"root", 1, 1, false}, {"www", 1, 7, false}, {";", 1, 10, false}}, ""},
		{"structural split words", "a{b;c}", []tok{{"a", 1, 1, false}, {"{", 1, 2, false}, {"b", 1, 3, false}, {";", 1, 4, false}, {"c", 1, 5, false}, {"}", 1, 6, false}}, ""},
		{"lines and tabs", "a\n\tb\r\n  c", []tok{{"a", 1, 1, false}, {"b", 2, 2, false}, {"c", 3, 3, false}}, ""},
		{"comment", "# all of this\na # and this\nb", []tok{{"a", 2, 1, false}, {"b", 3, 1, false}}, ""},
		{"hash inside word", "a#b c", []tok{{"a#b", 1, 1, false}, {"c", 1, 5, false}}, ""},
		{"comment after semicolon", "a;#c\nb", []tok{{"a", 1, 1, false}, {";", 1, 2, false}, {"b", 2, 1, false}}, ""},
		{"double quotes", `x "a b;{}"`, []tok{{"x", 1, 1, false}, {"a b;{}", 1, 3, true}}, ""},
		{"single quotes", `'a "b"'`, []tok{{`a "b"`, 1, 1, true}}, ""},
		{"empty quoted", `"" ''`, []tok{{"", 1, 1, true}, {"", 1, 4, true}}, ""},
		{"escapes", `"\"\'\\\n\t\x"`, []tok{{"\"'\\\n\t\\x", 1, 1, true}}, ""},
		{"quoted newline counts lines", "\"a\nb\" c", []tok{{"a\nb", 1, 1, true}, {"c", 2, 4, false}}, ""},
		{"quote inside word is literal", `a"b`, []tok{{`a"b`, 1, 1, false}}, ""},
		{"quoted then semicolon", `"a";`, []tok{{"a", 1, 1, true}, {";", 1, 4, false}}, ""},
		{"byte columns", "é x", []tok{{"é", 1, 1, false}, {"x", 1, 4, false}}, ""},
		{"bom", "\xEF\xBB\xBFa", []tok{{"a", 1, 4, false}}, ""},
		{"unterminated", "a\n  \"bc", nil, "f:2:3: unterminated quoted string"},
		{"unterminated after backslash", `"\`, nil, "f:1:1: unterminated quoted string"},
		{"junk after quote", `"a"b`, nil, `f:1:4: unexpected "b" after quoted string`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lx := newLexer("f", []byte(tt.src))
			var got []tok
			for {
				tk, err := lx.next()
				if err != nil {
					if tt.err == "" || err.Error() != tt.err {
						t.Fatalf("error: got %v, want %q", err, tt.err)
					}
					return
				}
				if tk.eof {
					break
				}
				got = append(got, tok{tk.text, tk.pos.Line, tk.pos.Col, tk.quoted})
			}
			if tt.err != "" {
				t.Fatalf("got tokens %v, want error %q", got, tt.err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// testDir makes a directory with www/, up/, cert files and an executable
// script for table tests.
func testDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{"www", "up", "conf.d"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	files := map[string]string{"cert.pem": "c", "key.pem": "k", "file.txt": "f"}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "interp"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestDefaults(t *testing.T) {
	dir := testDir(t)
	cfg, err := Parse("t.conf", []byte("server { listen 8080; }"), dir)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.File != "t.conf" || cfg.MaxConnections != 10000 || cfg.ShutdownTimeout != 30*time.Second ||
		cfg.ErrorLog != "stderr" || cfg.ErrorLogLevel != "info" {
		t.Errorf("main defaults: got %+v", cfg)
	}
	s := cfg.Servers[0]
	if s.ClientHeaderTimeout != 10*time.Second || s.KeepaliveTimeout != 75*time.Second ||
		s.KeepaliveRequests != 1000 || s.SendTimeout != 60*time.Second ||
		s.ClientMaxURILength != 8192 || s.ClientMaxHeaderSize != 32768 ||
		s.AccessLog != "" || s.AccessLogFormat != "combined" || s.Names != nil ||
		s.Pos != (Pos{"t.conf", 1, 1}) {
		t.Errorf("server defaults: got %+v", s)
	}
	want := &Location{
		Pos:             Pos{"t.conf", 1, 1},
		Root:            filepath.Join(dir, "html"),
		Index:           []string{"index.html"},
		MaxBodySize:     1 << 20,
		Methods:         []string{"GET", "HEAD", "OPTIONS"},
		CGITimeout:      60 * time.Second,
		BodyTimeout:     60 * time.Second,
		DefaultType:     "application/octet-stream",
		DisableSymlinks: true,
		UploadSandbox:   true,
		Compress:        Compress{Codings: Gzip, MinLength: 20, Level: 1, Vary: true, Cache: true},
	}
	if !reflect.DeepEqual(s.Default, want) {
		t.Errorf("location defaults:\ngot  %+v\nwant %+v", s.Default, want)
	}
	if !s.Default.Allows("HEAD") || s.Default.Allows("POST") {
		t.Error("Allows: default methods wrong")
	}
}

func TestParseRelativeDir(t *testing.T) {
	dir := testDir(t)
	t.Chdir(dir)
	cfg, err := Parse("t.conf", []byte("server { listen 8080; root www; }"), ".")
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Servers[0].Default.Root; got != filepath.Join(dir, "www") {
		t.Errorf("root: got %q, want absolute %q", got, filepath.Join(dir, "www"))
	}
}

// TestDirectives runs small configurations through Parse. $DIR in conf is
// replaced by the test directory; want checks the result, err is the
// expected error text (without the "t.conf:" file prefix but with the
// position).
func TestDirectives(t *testing.T) {
	type check func(t *testing.T, c *Config)
	loc := func(c *Config, i int) *Location {
		if i < 0 {
			return c.Servers[0].Default
		}
		return c.Servers[0].Locations[i]
	}
	tests := []struct {
		name string
		conf string
		want check
		err  string
	}{
		// listen
		{"listen port", "server { listen 8080; }", func(t *testing.T, c *Config) {
			if got := c.Servers[0].Listens[0].Addr; got != ":8080" {
				t.Errorf("got %q", got)
			}
		}, ""},
		{"listen forms", "server { listen *:1; listen 127.0.0.1:2; listen [::1]:3; listen LocalHost:4; listen 10.0.0.1; listen localhost; listen [::]; listen *:81; }", func(t *testing.T, c *Config) {
			var got []string
			for _, l := range c.Servers[0].Listens {
				got = append(got, l.Addr)
			}
			want := []string{":1", "127.0.0.1:2", "[::1]:3", "localhost:4", "10.0.0.1:80", "localhost:80", "[::]:80", ":81"}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got %q, want %q", got, want)
			}
		}, ""},
		{"listen flags", "server { listen 1 default_server ssl reuseport proxy_protocol; ssl_certificate cert.pem; ssl_certificate_key key.pem; }", func(t *testing.T, c *Config) {
			l := c.Servers[0].Listens[0]
			if !l.DefaultServer || !l.SSL || !l.ReusePort || !l.ProxyProtocol || l.Pos != (Pos{"t.conf", 1, 10}) {
				t.Errorf("got %+v", l)
			}
			if c.Servers[0].SSLCertificate != filepath.Join(c.Servers[0].Default.Root, "..", "cert.pem") {
				t.Errorf("cert: got %q", c.Servers[0].SSLCertificate)
			}
		}, ""},
		{"listen port 0", "server { listen 0; }", nil, `1:17: invalid port in "0" of the "listen" directive`},
		{"listen port big", "server { listen 65536; }", nil, `1:17: invalid port in "65536" of the "listen" directive`},
		{"listen empty port", "server { listen 1.2.3.4:; }", nil, `1:17: invalid port in "1.2.3.4:" of the "listen" directive`},
		{"listen bare ipv6", "server { listen ::1:80; }", nil, `1:17: invalid host in "::1:80" of the "listen" directive`},
		{"listen bad host", "server { listen a/b:80; }", nil, `1:17: invalid host in "a/b:80" of the "listen" directive`},
		{"listen unix", "server { listen unix:/tmp/s; }", nil, `1:17: invalid port in "unix:/tmp/s" of the "listen" directive`},
		{"listen duplicate", "server { listen 80; listen *:80; }", nil, `1:28: duplicate listen :80`},
		{"listen missing ssl key", "server { listen 1 ssl; ssl_certificate cert.pem; }", nil, `1:10: no "ssl_certificate_key" is defined for the "listen ... ssl" directive`},
		{"ssl cert missing", "server { listen 1; ssl_certificate nope.pem; }", nil, `1:36: ssl_certificate "$DIR/nope.pem" does not exist`},
		{"ssl cert is dir", "server { listen 1; ssl_certificate www; }", nil, `1:36: ssl_certificate "$DIR/www" is not a regular file`},
		{"default server on different addrs", "server { listen 1 default_server; } server { listen 2 default_server; }", nil, ""},

		// server_name
		{"server names", `server { listen 1; server_name Example.COM. *.Foo.test _ "" a.test a.test; }`, func(t *testing.T, c *Config) {
			want := []string{"example.com", "*.foo.test", "_", "", "a.test"}
			if got := c.Servers[0].Names; !reflect.DeepEqual(got, want) {
				t.Errorf("got %q, want %q", got, want)
			}
		}, ""},
		{"server name suffix wildcard", "server { listen 1; server_name www.*; }", nil, `1:32: invalid server name or wildcard "www.*"`},
		{"server name inner wildcard", "server { listen 1; server_name a*.test; }", nil, `1:32: invalid server name or wildcard "a*.test"`},
		{"server name same on other addr", "server { listen 1; server_name a; } server { listen 2; server_name a; }", nil, ""},
		{"nameless servers share addr", "server { listen 1; } server { listen 1; }", nil, ""},
		{"conflicting empty name", `server { listen 1; server_name ""; } server { listen 1; server_name ""; }`, nil, `1:69: conflicting server name "" on :1`},

		// root, alias
		{"root levels", "root www; server { listen 1; location /a { root up; } location /b { alias up; } }", func(t *testing.T, c *Config) {
			dir := filepath.Dir(loc(c, -1).Root)
			if loc(c, -1).Root != filepath.Join(dir, "www") || loc(c, 0).Root != filepath.Join(dir, "up") ||
				loc(c, 1).Alias != filepath.Join(dir, "up") || loc(c, 1).Root != filepath.Join(dir, "www") {
				t.Errorf("got %q %q %q", loc(c, -1).Root, loc(c, 0).Root, loc(c, 1).Alias)
			}
		}, ""},
		{"root absolute cleaned", "server { listen 1; root $DIR//www/../www/; }", func(t *testing.T, c *Config) {
			if r := loc(c, -1).Root; strings.Contains(r, "..") || strings.HasSuffix(r, "/") {
				t.Errorf("got %q", r)
			}
		}, ""},
		{"alias in server", "server { listen 1; alias www; }", nil, `1:20: "alias" directive is not allowed here`},
		{"alias then root", "server { listen 1; location / { root www; alias www; } }", nil, `1:43: "alias" directive is duplicate, "root" directive was specified earlier`},
		{"root empty", `server { listen 1; root ""; }`, nil, `1:25: invalid value "" in "root" directive`},
		// alias naming a file (SPEC §2, as in nginx)
		{"alias file exact", "server { listen 1; location = /favicon.ico { alias file.txt; } location /d { alias up; } }", func(t *testing.T, c *Config) {
			if l := loc(c, 0); l.Alias != filepath.Join(filepath.Dir(l.Root), "file.txt") || !l.AliasFile {
				t.Errorf("got %q file=%v", l.Alias, l.AliasFile)
			}
			if l := loc(c, 1); l.AliasFile {
				t.Errorf("directory alias %q taken for a file", l.Alias)
			}
		}, ""},
		{"alias file prefix", "server { listen 1; location /favicon.ico { alias file.txt; } }", func(t *testing.T, c *Config) {
			if !loc(c, 0).AliasFile {
				t.Errorf("got %+v", loc(c, 0))
			}
		}, ""},
		{"alias file in a directory location", "server { listen 1; location /f/ { alias file.txt; } }", nil, `1:41: alias "$DIR/file.txt" is a file, but location "/f/" names a directory (ends in "/")`},
		{"alias file in an exact directory location", "server { listen 1; location = /f/ { alias file.txt; } }", nil, `1:43: alias "$DIR/file.txt" is a file, but location "/f/" names a directory (ends in "/")`},
		{"alias missing", "server { listen 1; location /f { alias nope; } }", nil, `1:40: alias "$DIR/nope" does not exist`},
		{"alias device", "server { listen 1; location = /f { alias /dev/null; } }", nil, `1:42: alias "/dev/null" is neither a directory nor a regular file`},

		// index, autoindex, disable_symlinks, default_type
		{"index", "index a b; server { listen 1; location / { index c; } }", func(t *testing.T, c *Config) {
			if !reflect.DeepEqual(loc(c, -1).Index, []string{"a", "b"}) || !reflect.DeepEqual(loc(c, 0).Index, []string{"c"}) {
				t.Errorf("got %q %q", loc(c, -1).Index, loc(c, 0).Index)
			}
		}, ""},
		{"index duplicate", "server { listen 1; index a; index b; }", nil, `1:29: "index" directive is duplicate`},
		{"flags", "autoindex on; disable_symlinks off; server { listen 1; location / { autoindex off; disable_symlinks on; } }", func(t *testing.T, c *Config) {
			if !loc(c, -1).Autoindex || loc(c, -1).DisableSymlinks || loc(c, 0).Autoindex || !loc(c, 0).DisableSymlinks {
				t.Errorf("got %+v / %+v", loc(c, -1), loc(c, 0))
			}
		}, ""},
		{"upload_sandbox", "server { listen 1; upload_sandbox off; location / { upload_sandbox on; } location /u { } }", func(t *testing.T, c *Config) {
			if loc(c, -1).UploadSandbox || !loc(c, 0).UploadSandbox || loc(c, 1).UploadSandbox {
				t.Errorf("got %v %v %v, want false true false", loc(c, -1).UploadSandbox, loc(c, 0).UploadSandbox, loc(c, 1).UploadSandbox)
			}
		}, ""},
		{"upload_sandbox in main", "upload_sandbox off; server { listen 1; }", nil, `1:1: "upload_sandbox" directive is not allowed here`},
		{"upload_sandbox value", "server { listen 1; upload_sandbox yes; }", nil, `1:35: invalid value "yes" in "upload_sandbox" directive, it must be "on" or "off"`},
		{"disable_symlinks if_not_owner", "disable_symlinks if_not_owner; server { listen 1; }", nil, `1:18: invalid value "if_not_owner" in "disable_symlinks" directive, it must be "on" or "off"`},
		{"default_type", "server { listen 1; default_type text/html; }", func(t *testing.T, c *Config) {
			if loc(c, -1).DefaultType != "text/html" {
				t.Errorf("got %q", loc(c, -1).DefaultType)
			}
		}, ""},
		{"default_type bad", "server { listen 1; default_type html; }", nil, `1:33: invalid value "html" in "default_type" directive, it must be a MIME type`},

		// error_page
		{"error_page merge and replace", "error_page 404 /a; error_page 500 502 /b; server { listen 1; location / { error_page 403 http://x/; } }", func(t *testing.T, c *Config) {
			if want := map[int]string{404: "/a", 500: "/b", 502: "/b"}; !reflect.DeepEqual(loc(c, -1).ErrorPages, want) {
				t.Errorf("server: got %v", loc(c, -1).ErrorPages)
			}
			if want := map[int]string{403: "http://x/"}; !reflect.DeepEqual(loc(c, 0).ErrorPages, want) {
				t.Errorf("location: got %v", loc(c, 0).ErrorPages)
			}
		}, ""},
		{"error_page no codes", "server { listen 1; error_page /x; }", nil, `1:20: invalid number of arguments in "error_page" directive`},
		{"error_page relative", "server { listen 1; error_page 404 x.html; }", nil, `1:35: invalid value "x.html" in "error_page" directive, it must be a URI starting with "/", a named location "@name" or an http(s):// URL ("/x.html", from the root)`},
		{"error_page equals", "server { listen 1; error_page 404 =200 /x; }", nil, `1:35: the "=CODE" form of "error_page" (answer with another status) is not supported; the page is sent with the error's status: write "error_page 404 /x;"`},
		{"error_page 299", "server { listen 1; error_page 299 /x; }", nil, `1:31: value "299" must be between 300 and 599`},

		// sizes
		{"body size", "client_max_body_size 2k; server { listen 1; location /a { client_max_body_size 0; } location /b { client_max_body_size 3G; } }", func(t *testing.T, c *Config) {
			if loc(c, -1).MaxBodySize != 2048 || loc(c, 0).MaxBodySize != 0 || loc(c, 1).MaxBodySize != 3<<30 {
				t.Errorf("got %d %d %d", loc(c, -1).MaxBodySize, loc(c, 0).MaxBodySize, loc(c, 1).MaxBodySize)
			}
		}, ""},
		{"body size negative", "client_max_body_size -1; server { listen 1; }", nil, `1:22: invalid value "-1" in "client_max_body_size" directive, it must be a size such as "512", "64k", "1m" or "2g"`},
		{"body size unit only", "client_max_body_size k; server { listen 1; }", nil, `1:22: invalid value "k" in "client_max_body_size" directive, it must be a size such as "512", "64k", "1m" or "2g"`},
		{"header size", "client_max_header_size 64k; client_max_uri_length 1k; server { listen 1; }", func(t *testing.T, c *Config) {
			if s := c.Servers[0]; s.ClientMaxHeaderSize != 64<<10 || s.ClientMaxURILength != 1<<10 {
				t.Errorf("got %d %d", s.ClientMaxHeaderSize, s.ClientMaxURILength)
			}
		}, ""},
		{"header size in location", "server { listen 1; location / { client_max_header_size 1k; } }", nil, `1:33: "client_max_header_size" directive is not allowed here`},

		// methods
		{"methods", "server { listen 1; methods POST GET GET; location / { methods DELETE PUT OPTIONS PATCH HEAD; } }", func(t *testing.T, c *Config) {
			if want := []string{"POST", "GET", "HEAD"}; !reflect.DeepEqual(loc(c, -1).Methods, want) {
				t.Errorf("server: got %q", loc(c, -1).Methods)
			}
			if want := []string{"DELETE", "PUT", "OPTIONS", "PATCH", "HEAD"}; !reflect.DeepEqual(loc(c, 0).Methods, want) {
				t.Errorf("location: got %q", loc(c, 0).Methods)
			}
		}, ""},
		{"methods main", "methods GET; server { listen 1; }", nil, `1:1: "methods" directive is not allowed here`},
		{"methods TRACE", "server { listen 1; methods GET TRACE; }", nil, `1:32: unknown method "TRACE"`},

		// return
		{"return forms", `server { listen 1; return 404; location /a { return 307 /b; } location /c { return http://x/; } location /d { return 200 "hi"; } }`, func(t *testing.T, c *Config) {
			want := []Return{{Code: 404}, {Code: 307, Text: "/b"}, {Code: 302, Text: "http://x/"}, {Code: 200, Text: "hi"}}
			got := []Return{*loc(c, -1).Return, *loc(c, 0).Return, *loc(c, 1).Return, *loc(c, 2).Return}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got %v, want %v", got, want)
			}
		}, ""},
		{"return 99", "server { listen 1; return 99; }", nil, `1:27: invalid return code "99"`},
		{"return text", "server { listen 1; return /x; }", nil, `1:27: invalid return code "/x": use "return 301 /x;" (or 302, 307, 308)`},
		{"return redirect CRLF", `server { listen 1; return 302 "/a\nSet-Cookie: x"; }`, nil, `1:31: invalid redirect URL "/a\nSet-Cookie: x"`},
		{"return too many", "server { listen 1; return 200 a b; }", nil, `1:20: invalid number of arguments in "return" directive`},

		// upload_store
		{"upload_store", "server { listen 1; upload_store up; location / { upload_path www; } }", func(t *testing.T, c *Config) {
			if filepath.Base(loc(c, -1).UploadStore) != "up" || filepath.Base(loc(c, 0).UploadStore) != "www" {
				t.Errorf("got %q %q", loc(c, -1).UploadStore, loc(c, 0).UploadStore)
			}
		}, ""},
		{"upload_store twice", "server { listen 1; upload_store up; upload_path up; }", nil, `1:37: "upload_path" directive is duplicate`},
		{"upload_store file", "server { listen 1; upload_store file.txt; }", nil, `1:33: upload_store "$DIR/file.txt" is not a directory`},

		// cgi
		{"cgi", "cgi .sh; server { listen 1; location / { cgi .x ./interp; cgi .y sh; } }", func(t *testing.T, c *Config) {
			if want := []CGI{{".sh", ""}}; !reflect.DeepEqual(loc(c, -1).CGI, want) {
				t.Errorf("server: got %v", loc(c, -1).CGI)
			}
			l := loc(c, 0).CGI
			if len(l) != 2 || l[0].Ext != ".x" || filepath.Base(l[0].Interpreter) != "interp" || !filepath.IsAbs(l[1].Interpreter) {
				t.Errorf("location: got %v", l)
			}
		}, ""},
		{"cgi ext", "server { listen 1; cgi php; }", nil, `1:24: invalid value "php" in "cgi" directive, it must be an extension starting with "."`},
		{"cgi duplicate ext", "server { listen 1; cgi .a; cgi .a; }", nil, `1:32: duplicate cgi extension ".a"`},
		{"cgi missing", "server { listen 1; cgi .php php-cgi-not-installed-here; }", nil, `1:29: cgi interpreter "php-cgi-not-installed-here" not found`},
		{"cgi not executable", "server { listen 1; cgi .php ./file.txt; }", nil, `1:29: cgi interpreter "./file.txt" is not executable`},
		// SPEC §5: a location with an upload store runs no CGI.
		{"cgi with upload_store", "server { listen 1; location /up/ { upload_store up; cgi .sh; } }", nil, `1:53: "cgi" is not allowed where "upload_store" applies: an uploaded file must never run`},
		{"cgi below upload_store", "server { listen 1; upload_store up; location /x/ { cgi .sh; } }", nil, `1:52: "cgi" is not allowed where "upload_store" applies: an uploaded file must never run`},
		{"cgi beside upload_store", "server { listen 1; cgi .sh; upload_store up; }", nil, `1:20: "cgi" is not allowed where "upload_store" applies: an uploaded file must never run`},
		{"cgi not inherited by upload_store", "cgi .PHP; server { listen 1; cgi .cgi sh; location /up/ { upload_store up; } location ~ \\.php$ { cgi .php sh; } }", func(t *testing.T, c *Config) {
			if l := loc(c, 0).CGI; l != nil {
				t.Errorf("upload location: cgi %v inherited", l)
			}
			if l := loc(c, -1).CGI; len(l) != 1 || l[0].Ext != ".cgi" {
				t.Errorf("server: got %v", l)
			}
			if got, want := c.Servers[0].Default.ScriptExts, []string{".cgi", ".php"}; !reflect.DeepEqual(got, want) {
				t.Errorf("ScriptExts = %q, want %q", got, want)
			}
		}, ""},

		// timeouts and counts
		{"durations", "cgi_timeout 1m30s; client_body_timeout 15; shutdown_timeout 0; server { listen 1; keepalive_timeout 0; send_timeout 1h; client_header_timeout 250ms; keepalive_requests 7; }", func(t *testing.T, c *Config) {
			s := c.Servers[0]
			if loc(c, -1).CGITimeout != 90*time.Second || loc(c, -1).BodyTimeout != 15*time.Second || c.ShutdownTimeout != 0 ||
				s.KeepaliveTimeout != 0 || s.SendTimeout != time.Hour || s.ClientHeaderTimeout != 250*time.Millisecond || s.KeepaliveRequests != 7 {
				t.Errorf("got %+v", s)
			}
		}, ""},
		{"duration zero", "send_timeout 0; server { listen 1; }", nil, `1:14: invalid value "0" in "send_timeout" directive, it must be greater than zero`},
		{"duration overflow", "send_timeout 9999999999999h; server { listen 1; }", nil, `1:14: invalid value "9999999999999h" in "send_timeout" directive, it must be a duration such as "30s", "500ms", "2m" or "1h"`},
		{"max_connections", "max_connections 5; server { listen 1; }", func(t *testing.T, c *Config) {
			if c.MaxConnections != 5 {
				t.Errorf("got %d", c.MaxConnections)
			}
		}, ""},
		{"max_connections in server", "server { listen 1; max_connections 5; }", nil, `1:20: "max_connections" directive is not allowed here`},
		{"cgi_max_processes", "cgi_max_processes 3; server { listen 1; }", func(t *testing.T, c *Config) {
			if c.CGIMaxProcesses != 3 {
				t.Errorf("got %d", c.CGIMaxProcesses)
			}
		}, ""},
		{"cgi_max_processes default", "server { listen 1; }", func(t *testing.T, c *Config) {
			if c.CGIMaxProcesses != 0 {
				t.Errorf("got %d, want 0 (sized by the server)", c.CGIMaxProcesses)
			}
		}, ""},
		{"cgi_max_processes in server", "server { listen 1; cgi_max_processes 5; }", nil, `1:20: "cgi_max_processes" directive is not allowed here`},
		{"cgi_max_processes zero", "cgi_max_processes 0; server { listen 1; }", nil, `1:19: invalid value "0" in "cgi_max_processes" directive, it must be a number from 1 to 2147483647`},
		{"max_connections huge", "max_connections 99999999999; server { listen 1; }", nil, `1:17: invalid value "99999999999" in "max_connections" directive, it must be a number from 1 to 2147483647`},

		// logs
		{"logs", "error_log err.log debug; access_log acc.log; server { listen 1; } server { listen 2; access_log off; }", func(t *testing.T, c *Config) {
			if filepath.Base(c.ErrorLog) != "err.log" || !filepath.IsAbs(c.ErrorLog) || c.ErrorLogLevel != "debug" {
				t.Errorf("error_log: got %q %q", c.ErrorLog, c.ErrorLogLevel)
			}
			if filepath.Base(c.Servers[0].AccessLog) != "acc.log" || c.Servers[1].AccessLog != "" {
				t.Errorf("access_log: got %q %q", c.Servers[0].AccessLog, c.Servers[1].AccessLog)
			}
		}, ""},
		{"error_log stderr", "error_log stderr error; server { listen 1; }", func(t *testing.T, c *Config) {
			if c.ErrorLog != "stderr" || c.ErrorLogLevel != "error" {
				t.Errorf("got %q %q", c.ErrorLog, c.ErrorLogLevel)
			}
		}, ""},
		{"access_log stderr", "access_log stderr json; server { listen 1; }", func(t *testing.T, c *Config) {
			if s := c.Servers[0]; s.AccessLog != "stderr" || s.AccessLogFormat != "json" {
				t.Errorf("got %q %q", s.AccessLog, s.AccessLogFormat)
			}
		}, ""},
		{"access_log format", "access_log a.log xml; server { listen 1; }", nil, `1:18: invalid value "xml" in "access_log" directive, it must be "combined", "json" or the name of a "log_format" given before it`},
		{"access_log off json", "access_log off json; server { listen 1; }", nil, `1:16: invalid parameter "json" after "off"`},
		{"access_log no dir", "access_log nodir/a.log; server { listen 1; }", nil, `1:12: access_log "$DIR/nodir/a.log": directory "$DIR/nodir" does not exist`},
		{"access_log directory", "server { listen 1;\n    access_log www; }", nil, `2:16: access_log "$DIR/www" is a directory`},
		{"access_log under a file", "server { listen 1;\n    access_log file.txt/a.log; }", nil, `2:16: access_log "$DIR/file.txt/a.log": directory "$DIR/file.txt" does not exist`},
		{"access_log position", "access_log a.log;\nserver { listen 1; }\nserver { listen 2;\n  access_log up/b.log json; }", func(t *testing.T, c *Config) {
			if p := c.Servers[0].AccessLogPos; p != (Pos{"t.conf", 1, 12}) {
				t.Errorf("inherited: got %v", p)
			}
			if p := c.Servers[1].AccessLogPos; p != (Pos{"t.conf", 4, 14}) {
				t.Errorf("own: got %v", p)
			}
		}, ""},

		// add_header
		{"add_header replace", "add_header A 1; add_header B 2; server { listen 1; location / { add_header C 3; } }", func(t *testing.T, c *Config) {
			if want := []Header{{Name: "A", Value: "1"}, {Name: "B", Value: "2"}}; !reflect.DeepEqual(loc(c, -1).AddHeaders, want) {
				t.Errorf("server: got %v", loc(c, -1).AddHeaders)
			}
			if want := []Header{{Name: "C", Value: "3"}}; !reflect.DeepEqual(loc(c, 0).AddHeaders, want) {
				t.Errorf("location: got %v", loc(c, 0).AddHeaders)
			}
		}, ""},
		{"add_header CRLF", `add_header A "x\ny"; server { listen 1; }`, nil, `1:14: invalid header value "x\ny"`},
		{"add_header always", `add_header A x sometimes; server { listen 1; }`, nil, `1:16: invalid parameter "sometimes"`},

		// location
		{"locations", "server { listen 1; location = /a { } location /a { } location =/b { } }", func(t *testing.T, c *Config) {
			l := c.Servers[0].Locations
			if !l[0].Exact || l[0].Path != "/a" || l[1].Exact || l[1].Path != "/a" || !l[2].Exact || l[2].Path != "/b" || l[0].Pos != (Pos{"t.conf", 1, 20}) {
				t.Errorf("got %+v %+v %+v", l[0], l[1], l[2])
			}
		}, ""},
		{"location duplicate exact", "server { listen 1; location = /a { } location =/a { } }", nil, `1:48: duplicate location "/a"`},
		{"location in main", "location / { }", nil, `1:1: "location" directive is not allowed here`},
		{"status", "server { listen 1; location = /s { status; } }", func(t *testing.T, c *Config) {
			if !c.Servers[0].Locations[0].Status || c.Servers[0].Default.Status {
				t.Error("status not set on the location alone")
			}
		}, ""},
		{"status in server", "server { listen 1; status; }", nil, `1:20: "status" directive is not allowed here`},

		// http wrapper and grammar
		{"http wrapper", "http { max_connections 3; server { listen 1; } } max_connections_x;", nil, `1:50: unknown directive "max_connections_x"`},
		{"http wrapper main level", "http { keepalive_timeout 1s; server { listen 1; } }", func(t *testing.T, c *Config) {
			if c.Servers[0].KeepaliveTimeout != time.Second {
				t.Errorf("got %v", c.Servers[0].KeepaliveTimeout)
			}
		}, ""},
		{"http with args", "http x { }", nil, `1:1: invalid number of arguments in "http" directive`},
		{"main-level duplicate across http", "max_connections 1; http { max_connections 2; }", nil, `1:27: "max_connections" directive is duplicate`},
		{"unknown block", "frobnicate { }", nil, `1:1: unknown directive "frobnicate"`},
		{"brace as directive", "{ }", nil, `1:1: unexpected "{"`},
		{"eof after name", "server { listen 1; } root", nil, `1:26: unexpected end of file, expecting ";" or "}"`},
		{"close in args", "server { listen 1 }", nil, `1:19: unexpected "}"`},
		{"no server", "", nil, `1:1: no "server" block`},
		{"quoted directive name", `server { "listen" 1; }`, nil, ""},
		{"quoted semicolon is an argument", `server { listen 1 ";" }`, nil, `1:23: unexpected "}"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := testDir(t)
			conf := strings.ReplaceAll(tt.conf, "$DIR", dir)
			t.Chdir(dir) // so that relative cgi interpreters are not found via the test's cwd
			cfg, err := Parse("t.conf", []byte(conf), dir)
			if tt.err != "" {
				want := "t.conf:" + strings.ReplaceAll(tt.err, "$DIR", dir)
				if err == nil {
					t.Fatalf("got no error, want %q", want)
				}
				var ce *Error
				if !errors.As(err, &ce) {
					t.Fatalf("got %T, want *Error", err)
				}
				if err.Error() != want {
					t.Fatalf("got  %q\nwant %q", err.Error(), want)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if tt.want != nil {
				tt.want(t, cfg)
			}
		})
	}
}

// Every Location owns its slices and maps: changing one must not show
// through another (the server treats a Config as immutable, but a shared
// backing array would be a trap).
func TestLocationsDoNotShare(t *testing.T) {
	cfg, err := Parse("t.conf", []byte("error_page 404 /x; add_header A b; cgi .a; index i; server { listen 1; location /a { } location /b { } }"), testDir(t))
	if err != nil {
		t.Fatal(err)
	}
	a, b := cfg.Servers[0].Locations[0], cfg.Servers[0].Locations[1]
	a.ErrorPages[500] = "/y"
	a.AddHeaders[0].Name = "Z"
	a.CGI[0].Ext = ".z"
	a.Index[0] = "z"
	a.Methods[0] = "Z"
	if len(b.ErrorPages) != 1 || b.AddHeaders[0].Name != "A" || b.CGI[0].Ext != ".a" || b.Index[0] != "i" || b.Methods[0] != "GET" {
		t.Errorf("locations share state: %+v", b)
	}
}

func TestInclude(t *testing.T) {
	dir := testDir(t)
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("conf.d/b.conf", "server { listen 2; }\n")
	write("conf.d/a.conf", "server { listen 1; include loc.inc; }\n")
	write("loc.inc", "location /x {\n    include hdr.inc;\n}\n")
	write("hdr.inc", "add_header X y;\n")
	write("bad.inc", "\n   autoindex x;\n")
	write("self.inc", "include self.inc;\n")
	if err := os.Mkdir(filepath.Join(dir, "conf.d", "sub"), 0o755); err != nil {
		t.Fatal(err)
	}

	cfg, err := Parse("t.conf", []byte("include conf.d/*;"), dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Servers) != 2 || cfg.Servers[0].Listens[0].Addr != ":1" || cfg.Servers[1].Listens[0].Addr != ":2" {
		t.Fatalf("glob order: got %+v", cfg.Servers)
	}
	l := cfg.Servers[0].Locations[0]
	if l.Pos != (Pos{filepath.Join(dir, "loc.inc"), 1, 1}) || len(l.AddHeaders) != 1 {
		t.Errorf("included location: got %+v", l)
	}

	for _, tt := range []struct{ conf, err string }{
		{"server { listen 1; include bad.inc; }", filepath.Join(dir, "bad.inc") + `:2:14: invalid value "x" in "autoindex" directive, it must be "on" or "off"`},
		{"include self.inc;", filepath.Join(dir, "self.inc") + `:1:9: include cycle: "` + filepath.Join(dir, "self.inc") + `" includes itself`},
		{"include nope.inc;", `t.conf:1:9: include file "` + filepath.Join(dir, "nope.inc") + `" does not exist`},
		{"include www;", `t.conf:1:9: cannot read include file "` + filepath.Join(dir, "www") + `": not a regular file`},
		{"include [;", `t.conf:1:9: invalid include pattern "[": syntax error in pattern`},
		{"include nothing*.conf; server { listen 1; }", ""},
	} {
		_, err := Parse("t.conf", []byte(tt.conf), dir)
		if (err == nil) != (tt.err == "") || (err != nil && err.Error() != tt.err) {
			t.Errorf("%s: got %v, want %q", tt.conf, err, tt.err)
		}
	}

	// A chain deeper than the limit, without a cycle.
	for i := 0; i < 20; i++ {
		write("chain"+string(rune('a'+i))+".inc", "include chain"+string(rune('a'+i+1))+".inc;\n")
	}
	write("chain"+string(rune('a'+20))+".inc", "")
	_, err = Parse("t.conf", []byte("include chaina.inc;"), dir)
	if err == nil || !strings.Contains(err.Error(), "include nesting deeper than 16") {
		t.Errorf("deep include: got %v", err)
	}
}

func TestLoad(t *testing.T) {
	dir := testDir(t)
	p := filepath.Join(dir, "site.conf")
	if err := os.WriteFile(p, []byte("server {\n    listen 127.0.0.1:8081;\n    root www;\n    autoindex maybe;\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(p)
	if err == nil || !strings.HasPrefix(err.Error(), p+":4:15: ") {
		t.Errorf("got %v, want %s:4:15: ...", err, p)
	}

	_, err = Load(p + ".nope")
	var ce *Error
	if !errors.As(err, &ce) || ce.Pos != (Pos{p + ".nope", 1, 1}) || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("missing file: got %v", err)
	}

	// Relative paths resolve against the file's directory, not the cwd.
	if err := os.WriteFile(p, []byte("server { listen 1; root www; }"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir())
	cfg, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.File != p || cfg.Servers[0].Default.Root != filepath.Join(dir, "www") {
		t.Errorf("got File %q Root %q", cfg.File, cfg.Servers[0].Default.Root)
	}
}

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true}, {"512", 512, true}, {"1k", 1024, true}, {"1K", 1024, true},
		{"2m", 2 << 20, true}, {"2M", 2 << 20, true}, {"3g", 3 << 30, true}, {"3G", 3 << 30, true},
		{"8589934591g", 8589934591 << 30, true}, {"8589934592g", 0, false},
		{"9223372036854775807", 9223372036854775807, true}, {"9223372036854775808", 0, false},
		{"", 0, false}, {"k", 0, false}, {"1kb", 0, false}, {"1.5m", 0, false}, {"-1", 0, false}, {"+1", 0, false}, {"1t", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseSize(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseSize(%q): got %d %v, want %d %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"0", 0, true}, {"10", 10 * time.Second, true}, {"10s", 10 * time.Second, true},
		{"250ms", 250 * time.Millisecond, true}, {"2m", 2 * time.Minute, true}, {"1h", time.Hour, true},
		{"1m30s", 90 * time.Second, true}, {"1h1m1s1ms", time.Hour + time.Minute + time.Second + time.Millisecond, true},
		{"", 0, false}, {"s", 0, false}, {"1d", 0, false}, {"1.5s", 0, false}, {"-1s", 0, false}, {"1s ", 0, false},
		{"m5", 0, false}, {"9223372036854775807", 0, false}, {"2562047h", 2562047 * time.Hour, true}, {"2562048h", 0, false},
		{"2562047h47m16s854ms", 2562047*time.Hour + 47*time.Minute + 16*time.Second + 854*time.Millisecond, true},
		{"2562047h47m16s855ms", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseDuration(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseDuration(%q): got %v %v, want %v %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// FuzzParse checks that no input makes the parser panic and that every
// error is an *Error with a real position.
func FuzzParse(f *testing.F) {
	seeds := []string{
		"server { listen 8080; root www; }",
		"http { include conf.d/*.conf; server { listen 127.0.0.1:80 default_server; server_name a *.b \"\"; } }",
		"server { listen [::1]:1; location = /x { return 200 \"a\\\"b\"; } location /y { alias www; autoindex on; } }",
		"client_max_body_size 10m; keepalive_timeout 1m30s; server { listen 1; error_page 404 500 /e; add_header A 'b'; }",
		"server { listen 1 ssl; ssl_certificate cert.pem; ssl_certificate_key key.pem; methods GET POST; cgi .sh; }",
		"server {\n  # comment\n  listen 1;\n  location /a {\n",
		"server { listen \"1\"x; }",
		"}}}{{{;;;\"'",
		"include self.conf;",
		"user x; events { worker_connections 1; } http { sendfile on; gzip on; types { text/html html; } server { listen 1; listen [::]:1; } }",
		"log_format m '$remote_addr ${status}x $http_x'; server { listen 1; location / { limit_except GET { deny all; } if ($x) { return 1; } } }",
		"ssl_protocols TLSv1 TLSv1.3; ssl_ciphers HIGH:ECDHE-RSA-AES128-SHA; server { listen 1; allow_methods get; host x; types { a/b c; } }",
	}
	for _, s := range seeds {
		f.Add(s)
	}
	dir := f.TempDir()
	for _, d := range []string{"www", "conf.d"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			f.Fatal(err)
		}
	}
	for name, body := range map[string]string{
		"cert.pem": "c", "key.pem": "k",
		"conf.d/a.conf": "server { listen 2; }",
		"self.conf":     "include self.conf;",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			f.Fatal(err)
		}
	}
	f.Fuzz(func(t *testing.T, src string) {
		p := newParser("fuzz.conf", dir)
		// Keep includes inside the fuzz directory: a fuzzed "include /dev/*"
		// or "/proc/**" must not read the machine's files.
		p.glob = func(pattern string) ([]string, error) {
			if !strings.HasPrefix(pattern, dir+string(filepath.Separator)) {
				return nil, nil
			}
			return filepath.Glob(pattern)
		}
		p.files = []string{filepath.Join(dir, "fuzz.conf")}
		cfg, err := p.parse([]byte(src))
		if err != nil {
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("error %T %v is not a *Error", err, err)
			}
			if ce.Pos.Line < 1 || ce.Pos.Col < 1 || ce.Pos.File == "" {
				t.Fatalf("bad position in %v", err)
			}
			return
		}
		if len(cfg.Servers) == 0 {
			t.Fatal("no servers and no error")
		}
		for _, s := range cfg.Servers {
			if len(s.Listens) == 0 || s.Default == nil {
				t.Fatalf("incomplete server %+v", s)
			}
		}
	})
}

// TestAccessChecks: what the server could not use is a load error at the
// directive's position (SPEC §1), for -t, startup and reload alike. The
// tests run as root, whom access(2) grants everything, so the parser's
// access function is replaced by one that denies the given path the
// given modes; TestUnreadableRoot in cmd/webserv runs the real check as
// another user.
func TestAccessChecks(t *testing.T) {
	const x, w, r = 1, 2, 4
	tests := []struct {
		name string
		conf string
		deny string // path under the test directory
		mode uint32 // modes denied
		err  string
	}{
		{"root not searchable", "server { listen 1;\n  root www; }", "www", x, `2:8: root "$DIR/www" is not accessible: permission denied`},
		{"root not listable is fine", "server { listen 1;\n  root www; }", "www", r, ""},
		{"alias dir", "server { listen 1; location /a/ {\n  alias up; } }", "up", x, `2:9: alias "$DIR/up" is not accessible: permission denied`},
		{"alias file", "server { listen 1; location = /f {\n  alias file.txt; } }", "file.txt", r, `2:9: alias "$DIR/file.txt" is not readable: permission denied`},
		{"upload_store", "server { listen 1; location /u/ {\n  upload_store up; } }", "up", w, `2:16: upload_store "$DIR/up" is not writable: permission denied`},
		{"access_log file", "server { listen 1;\n  access_log file.txt; }", "file.txt", w, `2:14: access_log "$DIR/file.txt" is not writable: permission denied`},
		{"access_log new in read-only dir", "server { listen 1;\n  access_log up/a.log; }", "up", w, `2:14: access_log "$DIR/up/a.log" cannot be created: directory "$DIR/up" is not writable: permission denied`},
		{"error_log new in read-only dir", "error_log up/e.log;\nserver { listen 1; }", "up", w, `1:11: error_log "$DIR/up/e.log" cannot be created: directory "$DIR/up" is not writable: permission denied`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := testDir(t)
			deny := filepath.Join(dir, tt.deny)
			p := newParser("t.conf", dir)
			p.access = func(path string, mode uint32) error {
				if path == deny && mode&tt.mode != 0 {
					return syscall.EACCES
				}
				return nil
			}
			_, err := p.parse([]byte(tt.conf))
			want := ""
			if tt.err != "" {
				want = "t.conf:" + strings.ReplaceAll(tt.err, "$DIR", dir)
			}
			if got := fmt.Sprint(err); tt.err == "" && err != nil || tt.err != "" && got != want {
				t.Errorf("got  %v\nwant %q", err, want)
			}
		})
	}
}
