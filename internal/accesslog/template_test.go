package accesslog

import (
	"os"
	"strings"
	"testing"
)

type fields map[string]string

func (f fields) Get(name string) []byte {
	for k, v := range f {
		if strings.EqualFold(k, name) {
			return []byte(v)
		}
	}
	return nil
}

// oneField answers for one field without allocating.
type oneField struct {
	name  string
	value []byte
}

func (f oneField) Get(name string) []byte {
	if strings.EqualFold(name, f.name) {
		return f.value
	}
	return nil
}

// The nginx "main" format of countless nginx.conf files.
const mainFormat = `$remote_addr - $remote_user [$time_local] "$request" ` +
	`$status $body_bytes_sent "$http_referer" ` +
	`"$http_user_agent" "$http_x_forwarded_for"`

func TestTemplate(t *testing.T) {
	e := entry("curl/8.5.0", "http://a.example/", "/index.html?q=1")
	e.Path, e.Query, e.Host, e.LocalAddr, e.BytesSent = []byte("/index.html"), []byte("q=1"), []byte("Example.COM"), "127.0.0.1:8443", 1400
	e.TLS, e.URI = true, "/index.html"
	e.Header = fields{"X-Forwarded-For": "198.51.100.1", "User-Agent": "curl/8.5.0", "Referer": "http://a.example/"}
	for _, tt := range []struct {
		format string
		esc    Escape
		want   string
	}{
		{mainFormat, EscapeDefault, `192.0.2.7 - - [09/Mar/2024:14:05:06 -0700] "GET /index.html?q=1 HTTP/1.1" 200 1234 "http://a.example/" "curl/8.5.0" "198.51.100.1"`},
		{"$request_method $request_uri $uri $args $host $server_name $server_port $scheme $server_protocol", EscapeDefault, "GET /index.html?q=1 /index.html q=1 example.com example.com 8443 https HTTP/1.1"},
		{"$time_iso8601 $request_time $bytes_sent $status", EscapeDefault, "2024-03-09T14:05:06-07:00 0.002 1400 200"},
		{"${status}ok ${dollar}x $http_missing", EscapeDefault, "200ok $x -"},
	} {
		tmpl, err := Compile(tt.format, tt.esc)
		if err != nil {
			t.Errorf("Compile(%q): %v", tt.format, err)
			continue
		}
		if got := string(tmpl.Append(nil, e)); got != tt.want+"\n" {
			t.Errorf("%q:\ngot  %q\nwant %q", tt.format, got, tt.want+"\n")
		}
	}
	// $request_uri is the origin form of an absolute-form target; $request
	// is the request line as sent.
	abs := *e
	abs.Target, abs.Path = []byte("http://Abs.Example:5/a.txt?q=1"), []byte("/a.txt")
	if tmpl, err := Compile("$request_uri|$request", EscapeDefault); err != nil {
		t.Error(err)
	} else if got, want := string(tmpl.Append(nil, &abs)), "/a.txt?q=1|GET http://Abs.Example:5/a.txt?q=1 HTTP/1.1\n"; got != want {
		t.Errorf("absolute form: got %q, want %q", got, want)
	}
	// The rest of the variables SPEC §2a lists.
	saved := *e
	e.Query = []byte("q=1&Page=2&x")
	e.Header = fields{"Cookie": "a=1; sid=s3cr; SID=up", "Content-Type": "text/plain", "Content-Length": "5"}
	e.DocumentRoot, e.Filename = "/srv/www", []byte("/srv/www/index.html")
	h, _ := os.Hostname()
	for _, tt := range []struct{ format, want string }{
		{"$arg_page|$arg_x|$arg_none|$cookie_sid|$cookie_SID|$cookie_none", "2|-|-|s3cr|up|-"},
		{"$https|$remote_port|$content_type|$content_length", "on|5555|text/plain|5"},
		{"$hostname|$document_root|$request_filename", h + "|/srv/www|/srv/www/index.html"},
	} {
		tmpl, err := Compile(tt.format, EscapeDefault)
		if err != nil {
			t.Errorf("Compile(%q): %v", tt.format, err)
			continue
		}
		if got := string(tmpl.Append(nil, e)); got != tt.want+"\n" {
			t.Errorf("%q:\ngot  %q\nwant %q", tt.format, got, tt.want+"\n")
		}
	}
	e.TLS = false
	if tmpl, err := Compile("$https", EscapeDefault); err != nil || string(tmpl.Append(nil, e)) != "-\n" || tmpl.NeedsFilename() {
		t.Errorf("$https without TLS: %v", err)
	}
	if tmpl, _ := Compile("$request_filename", EscapeDefault); tmpl == nil || !tmpl.NeedsFilename() {
		t.Error("NeedsFilename is false for $request_filename")
	}
	*e = saved
	// A Host's trailing dot is dropped, as nginx does.
	e.Host = []byte("Example.COM.")
	if tmpl, err := Compile("$host", EscapeDefault); err != nil {
		t.Error(err)
	} else if got := string(tmpl.Append(nil, e)); got != "example.com\n" {
		t.Errorf("$host with a trailing dot: got %q", got)
	}
	// Without a Host (HTTP/1.0), $host is the server's name.
	e.Host = nil
	for _, tt := range []struct {
		format string
		esc    Escape
		want   string
	}{
		{"$host", EscapeDefault, "example.com"},
		{`{"ua":"$http_user_agent","none":"$http_missing"}`, EscapeJSON, `{"ua":"curl/8.5.0","none":""}`},
	} {
		tmpl, err := Compile(tt.format, tt.esc)
		if err != nil {
			t.Errorf("Compile(%q): %v", tt.format, err)
			continue
		}
		if got := string(tmpl.Append(nil, e)); got != tt.want+"\n" {
			t.Errorf("%q:\ngot  %q\nwant %q", tt.format, got, tt.want+"\n")
		}
	}
}

// Hostile header values never break the line: with the default escape
// every control byte, quote and backslash becomes \xHH; with json, a JSON
// escape.
func TestTemplateHostile(t *testing.T) {
	for _, h := range hostile {
		e := entry(h.ua, h.ref, h.target)
		e.Header = fields{"X-Forwarded-For": h.ua}
		for _, esc := range []Escape{EscapeDefault, EscapeJSON} {
			tmpl, err := Compile(`"$http_x_forwarded_for" "$request" "$http_user_agent"`, esc)
			if err != nil {
				t.Fatal(err)
			}
			line := string(tmpl.Append(nil, e))
			body := strings.TrimSuffix(line, "\n")
			if strings.ContainsAny(body, "\r\n\x00") || quotes(body) != 6 {
				t.Errorf("%s esc=%d: line %q is broken", h.name, esc, line)
			}
		}
	}
}

// quotes counts the quotes of s that no backslash escapes.
func quotes(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			n++
		}
	}
	return n
}

func TestTemplateErrors(t *testing.T) {
	for _, tt := range []struct {
		format string
		off    int
		msg    string
	}{
		{"$remote_addr $remtoe_addr", 13, `unknown "$remtoe_addr" variable`},
		{"a $ b", 2, `invalid variable name: "$" must be followed by a name (write a literal dollar as ${dollar})`},
		{"${status", 0, `the closing bracket in "status" variable is missing`},
		{"$upstream_addr", 0, `unknown "$upstream_addr" variable`},
	} {
		_, err := Compile(tt.format, EscapeDefault)
		ve, ok := err.(*VarError)
		if !ok || ve.Off != tt.off || ve.Msg != tt.msg {
			t.Errorf("Compile(%q) = %v, want offset %d %q", tt.format, err, tt.off, tt.msg)
		}
	}
}

func TestTemplateAllocs(t *testing.T) {
	tmpl, err := Compile(mainFormat+" $request_time $host $server_port $arg_b $cookie_sid $remote_port $hostname $document_root $request_filename", EscapeDefault)
	if err != nil {
		t.Fatal(err)
	}
	e := entry("curl/8.5.0", "http://a.example/", "/index.html?q=1")
	e.Header = oneField{"cookie", []byte("a=1; sid=x")}
	e.LocalAddr = "127.0.0.1:80"
	e.Query, e.DocumentRoot, e.Filename = []byte("a=1&b=2"), "/srv/www", []byte("/srv/www/index.html")
	buf := make([]byte, 0, 1024)
	if n := testing.AllocsPerRun(100, func() { buf = tmpl.Append(buf[:0], e) }); n > 0 {
		t.Errorf("Append allocates %v times, want 0", n)
	}
}
