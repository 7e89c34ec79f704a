package config

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// fakeVars answers every variable from a map keyed by its written form
// ("uri", "http_x-evil", "arg_q", "1").
type fakeVars map[string]string

func (f fakeVars) AppendVar(dst []byte, v Var) []byte {
	var key string
	switch v.Kind {
	case VarHTTP:
		key = "http_" + v.Name
	case VarArg:
		key = "arg_" + v.Name
	case VarCookie:
		key = "cookie_" + v.Name
	case VarCapture:
		key = string(rune('0' + v.N))
	default:
		for n, k := range simpleVars {
			if k == v.Kind {
				key = n
				if f[n] != "" {
					break
				}
			}
		}
	}
	return append(dst, f[key]...)
}

func TestTemplateExpand(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", 1<<16)
	vars := fakeVars{
		"host": "example.com", "request_uri": "/a%20b?x=1", "uri": "/a b",
		"http_x-evil":  "ok\r\nSet-Cookie: pwned=1\x00tail",
		"http_x-del":   "a\x7fb\tc",
		"http_x-long":  long,
		"arg_q":        "caf%C3%A9+x",
		"cookie_sid":   "abc",
		"1":            "one",
		"query_string": "x=1",
	}
	tests := []struct{ in, want string }{
		{"https://$host$request_uri", "https://example.com/a%20b?x=1"},
		{"${host}suffix", "example.comsuffix"},
		{"$http_x_evil", "okSet-Cookie: pwned=1tail"}, // CR, LF, NUL stripped
		{"[$http_x_del]", "[ab\tc]"},                  // DEL stripped, tab kept
		{"$http_X_LONG", long},                        // header names are case-insensitive
		{"q=$arg_q", "q=caf%C3%A9+x"},                 // raw, as nginx: not decoded
		{"$cookie_sid;$1;${1}0", "abc;one;one0"},
		{"$args", "x=1"},
		{"no variables", "no variables"},
		{"$uri", "/a b"},
		{"$1$2", "one"}, // an absent capture is empty
	}
	for _, tt := range tests {
		tm, err := CompileTemplate(tt.in)
		if err != nil {
			t.Errorf("%q: %v", tt.in, err)
			continue
		}
		got := string(tm.Expand(nil, vars))
		if got != tt.want {
			t.Errorf("%q: got %.80q, want %.80q", tt.in, got, tt.want)
		}
		if strings.ContainsAny(got, "\r\n\x00") {
			t.Errorf("%q: control bytes in %q", tt.in, got)
		}
	}
}

func TestTemplateErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in  string
		off int
		msg string
	}{
		{"$", 0, `invalid variable name in "$"`},
		{"a$-", 1, `invalid variable name`},
		{"x$nosuch", 1, `unknown "$nosuch" variable`},
		{"${host", 0, `the closing bracket in "host" variable is missing`},
		{"$arg_", 0, `unknown "$arg_" variable`},
		{"${}", 0, `invalid variable name`},
		{"/$uri$0", 5, `unknown "$0" variable`},
	}
	for _, tt := range tests {
		_, err := CompileTemplate(tt.in)
		var ve *varError
		if !errors.As(err, &ve) || ve.Off != tt.off || !strings.Contains(ve.Msg, tt.msg) {
			t.Errorf("%q: got %v, want offset %d %q", tt.in, err, tt.off, tt.msg)
		}
	}
}

// FuzzTemplate: compiling never panics, and an expansion never holds a
// control byte that a variable brought in.
func FuzzTemplate(f *testing.F) {
	f.Add("https://$host$request_uri", "a\r\nb")
	f.Add("${http_x}$1", "\x00")
	f.Fuzz(func(t *testing.T, tmpl, value string) {
		tm, err := CompileTemplate(tmpl)
		if err != nil {
			return
		}
		vars := fakeVars{"host": value, "request_uri": value, "1": value, "http_x": value, "uri": value}
		got := tm.Expand(nil, vars)
		lit := []byte(tmpl)
		for _, c := range got {
			if c == '\r' || c == '\n' || c == 0 {
				if !bytes.ContainsRune(lit, rune(c)) {
					t.Fatalf("control byte %q from a variable in %q", c, got)
				}
			}
		}
	})
}

type constVars struct{}

func (constVars) AppendVar(dst []byte, v Var) []byte {
	switch v.Kind {
	case VarHost:
		return append(dst, "example.com"...)
	case VarRequestURI:
		return append(dst, "/some/page?x=1"...)
	}
	return dst
}

func BenchmarkTemplateExpand(b *testing.B) {
	tm, err := CompileTemplate("https://$host$request_uri")
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 0, 256)
	var src VarSource = constVars{}
	b.ReportAllocs()
	for b.Loop() {
		buf = tm.Expand(buf[:0], src)
	}
	if string(buf) != "https://example.com/some/page?x=1" {
		b.Fatal(string(buf))
	}
}

func TestTemplateExpandAllocs(t *testing.T) {
	tm, _ := CompileTemplate("https://$host$request_uri")
	buf := make([]byte, 0, 256)
	var src VarSource = constVars{}
	if n := testing.AllocsPerRun(100, func() { buf = tm.Expand(buf[:0], src) }); n != 0 {
		t.Errorf("Expand allocates %v times per run, want 0", n)
	}
}

// TestNginxForms loads the location forms, variables and try_files and
// checks the errors they can cause.
func TestNginxForms(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		conf string
		want func(*testing.T, *Config)
		err  string
	}{
		{"return with variables", `server { listen 1; return 301 https://$host$request_uri; }`, func(t *testing.T, c *Config) {
			r := c.Servers[0].Default.Return
			if r.Code != 301 || r.Tmpl == nil || r.Tmpl.Raw != "https://$host$request_uri" {
				t.Errorf("got %+v", r)
			}
		}, ""},
		{"return scheme", `server { listen 1; return $scheme://x$uri; }`, func(t *testing.T, c *Config) {
			if r := c.Servers[0].Default.Return; r.Code != 302 || r.Tmpl == nil {
				t.Errorf("got %+v", r)
			}
		}, ""},
		{"return plain", `server { listen 1; return 301 https://x/; }`, func(t *testing.T, c *Config) {
			if r := c.Servers[0].Default.Return; r.Tmpl != nil {
				t.Errorf("a value without $ got a template: %+v", r)
			}
		}, ""},
		{"unknown variable", `server { listen 1; return 301 https://$hots$request_uri; }`, nil, `1:39: unknown "$hots" variable`},
		{"unknown variable quoted", `server { listen 1; add_header X "a $nope"; }`, nil, `1:33: unknown "$nope" variable`},
		{"unknown variable error_page", `server { listen 1; error_page 404 /e?u=$urii; }`, nil, `1:40: unknown "$urii" variable`},
		{"unknown variable try_files", `server { listen 1; try_files $uri $ur/ =404; }`, nil, `1:35: unknown "$ur" variable`},
		{"regex locations", `server { listen 1; location ~ \.php$ { } location ~* \.(css|js)$ { add_header X $1; } location ^~ /static/ { } location @fb { } location ~\.x$ { } }`, func(t *testing.T, c *Config) {
			l := c.Servers[0].Locations
			if l[0].Regex == nil || l[0].Regex.String() != `\.php$` || l[0].Captures {
				t.Errorf("0: %+v", l[0])
			}
			if l[1].Regex == nil || !l[1].Regex.MatchString("/A.CSS") || !l[1].Captures {
				t.Errorf("1: %+v", l[1])
			}
			if !l[2].NoRegex || l[2].Path != "/static/" || l[2].Regex != nil {
				t.Errorf("2: %+v", l[2])
			}
			if !l[3].Named || l[3].Path != "@fb" {
				t.Errorf("3: %+v", l[3])
			}
			if l[4].Regex == nil || l[4].Regex.String() != `\.x$` {
				t.Errorf("4: %+v", l[4])
			}
		}, ""},
		{"regex RE2", `server { listen 1; location ~ ^/(?=a)b { } }`, nil, "1:31: invalid regular expression \"^/(?=a)b\": invalid or unsupported Perl syntax: `(?=` (webserv uses Go's RE2 syntax: no lookahead, lookbehind or backreferences)"},
		{"regex duplicate", `server { listen 1; location ~ a { } location ~ a { } }`, nil, `1:48: duplicate location "a"`},
		{"regex and caseless differ", `server { listen 1; location ~ a { } location ~* a { } }`, nil, ""},
		{"named bad", `server { listen 1; location @ { } }`, nil, `1:29: invalid location path "@", it must start with "/"`},
		{"named undefined", `server { listen 1; try_files $uri @nope; }`, nil, `1:35: named location "@nope" is not defined in this server`},
		{"error_page named undefined", `server { listen 1; error_page 404 @nope; }`, nil, `1:35: named location "@nope" is not defined in this server`},
		{"try_files forms", `server { listen 1; try_files $uri $uri/ /index.php?$args; location /a { try_files $uri =404; } location /b { try_files $uri @fb; } location @fb { } }`, func(t *testing.T, c *Config) {
			tf := c.Servers[0].Default.TryFiles
			if len(tf.Files) != 2 || tf.Files[1].Raw != "$uri/" || tf.Fallback.Raw != "/index.php?$args" || tf.Code != 0 {
				t.Errorf("server: %+v", tf)
			}
			if tf := c.Servers[0].Locations[0].TryFiles; tf.Code != 404 || tf.Fallback != nil {
				t.Errorf("/a: %+v", tf)
			}
			if tf := c.Servers[0].Locations[1].TryFiles; tf.Fallback.Raw != "@fb" {
				t.Errorf("/b: %+v", tf)
			}
		}, ""},
		{"try_files not inherited", `server { listen 1; try_files $uri /fb; location /a/ { } location /b/ { try_files $uri =404; } }`, func(t *testing.T, c *Config) {
			s := c.Servers[0]
			if s.Default.TryFiles == nil || s.Locations[0].TryFiles != nil || s.Locations[1].TryFiles.Code != 404 {
				t.Errorf("got default %+v, /a/ %+v, /b/ %+v", s.Default.TryFiles, s.Locations[0].TryFiles, s.Locations[1].TryFiles)
			}
		}, ""},
		{"try_files code", `server { listen 1; try_files $uri =200; }`, nil, `1:35: invalid value "=200" in "try_files" directive, it must be a URI or =CODE with CODE from 400 to 599`},
		{"try_files one arg", `server { listen 1; try_files $uri; }`, nil, `1:20: invalid number of arguments in "try_files" directive`},
		{"try_files main", `try_files $uri =404; server { listen 1; }`, nil, `1:1: "try_files" directive is not allowed here`},
		{"upload_store in regex location", `server { listen 1; location ~ /up { upload_store .; } }`, nil, `1:37: "upload_store" is not allowed in a regular expression or named location`},
		{"alias with captures", `server { listen 1; location ~ ^/u/(\w+)/(.*)$ { alias /srv/$1/www/$2; } }`, func(t *testing.T, c *Config) {
			l := c.Servers[0].Locations[0]
			if l.AliasTmpl == nil || l.AliasTmpl.Raw != "/srv/$1/www/$2" || !l.Captures {
				t.Errorf("got %+v", l)
			}
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := testDir(t)
			cfg, err := Parse("t.conf", []byte(tt.conf), dir)
			if tt.err != "" {
				want := "t.conf:" + tt.err
				if err == nil {
					t.Fatalf("got no error, want %q", want)
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
