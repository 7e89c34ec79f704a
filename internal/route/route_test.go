package route

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"webserv/internal/config"
	"webserv/internal/http1"
)

func srv(names ...string) *config.Server {
	return &config.Server{Names: names, Default: &config.Location{}}
}

func listen(s *config.Server, addr string, def bool) *config.Server {
	s.Listens = append(s.Listens, config.Listen{Addr: addr, DefaultServer: def})
	return s
}

func TestServer(t *testing.T) {
	a := listen(srv("a.test", "www.a.test"), ":80", false)
	wild := listen(srv("*.a.test"), ":80", false)
	deep := listen(srv("*.x.a.test"), ":80", false)
	b := listen(listen(srv("B.Test."), ":80", true), ":81", false)
	empty := listen(srv(""), ":81", false)
	c := listen(srv("c.test"), ":81", false)
	tab := New(&config.Config{Servers: []*config.Server{a, wild, deep, b, empty, c}})

	tests := []struct {
		addr, host string
		want       *config.Server
	}{
		{":80", "a.test", a},
		{":80", "A.TEST", a},
		{":80", "a.test.", a},
		{":80", "a.test:8080", a},
		{":80", "www.a.test", a},
		{":80", "z.a.test", wild},
		{":80", "z.y.a.test", wild},
		{":80", "q.x.a.test", deep}, // longest wildcard wins
		{":80", "x.a.test", wild},
		{":80", "xa.test", b},  // not a label boundary
		{":80", ".a.test", b},  // no label in front of the suffix
		{":80", "b.test", b},   // name lowercased, trailing dot dropped
		{":80", "unknown", b},  // default_server
		{":80", "", b},         // HTTP/1.0 without Host
		{":81", "", empty},     // server_name "" claims the empty Host
		{":81", "unknown", b},  // first declared on :81
		{":81", "c.test", c},   //
		{":81", "a.test", b},   // a.test is not on :81
		{":80", "[::1]:80", b}, // IP literal
		{":80", strings.Repeat("a", 300), b},
		{":82", "a.test", nil},
	}
	for _, tt := range tests {
		got := tab.Server(tt.addr, []byte(tt.host))
		if got != tt.want {
			t.Errorf("Server(%q, %q) = %v, want %v", tt.addr, tt.host, names(got), names(tt.want))
		}
	}
}

func names(s *config.Server) any {
	if s == nil {
		return nil
	}
	return s.Names
}

func TestServerAllocs(t *testing.T) {
	s := listen(srv("a.test", "*.b.test"), ":80", false)
	tab := New(&config.Config{Servers: []*config.Server{s}})
	host := []byte("X.Y.B.TEST:8080")
	if n := testing.AllocsPerRun(100, func() { tab.Server(":80", host) }); n != 0 {
		t.Fatalf("Server allocates %v times, want 0", n)
	}
}

func TestLocation(t *testing.T) {
	loc := func(path string, exact bool) *config.Location {
		return &config.Location{Path: path, Exact: exact}
	}
	def := loc("", false)
	img := loc("/img", false)
	imgSlash := loc("/img/", false)
	imgA := loc("/img/a", false)
	root := loc("/", false)
	exact := loc("/img", true)
	s := &config.Server{Default: def, Locations: []*config.Location{img, imgA, imgSlash, exact}}
	withRoot := &config.Server{Default: def, Locations: []*config.Location{root, img}}

	tests := []struct {
		s    *config.Server
		path string
		want *config.Location
	}{
		{s, "/img", exact},
		{s, "/img/", imgSlash}, // longer prefix than /img
		{s, "/img/x", imgSlash},
		{s, "/img/a", imgA},
		{s, "/img/a/b", imgA},
		{s, "/img/ab", imgSlash}, // /img/a stops at a segment boundary
		{s, "/imgs", def},
		{s, "/", def},
		{withRoot, "/imgs", root},
		{withRoot, "/img/z", img},
		{withRoot, "/", root},
	}
	for _, tt := range tests {
		if got := Location(tt.s, tt.path); got != tt.want {
			t.Errorf("Location(%q) = %q exact=%v, want %q exact=%v", tt.path, got.Path, got.Exact, tt.want.Path, tt.want.Exact)
		}
	}
	if n := testing.AllocsPerRun(100, func() { Location(s, "/img/a/b/c") }); n != 0 {
		t.Fatalf("Location allocates %v times, want 0", n)
	}
}

func TestCleanPath(t *testing.T) {
	tests := []struct {
		raw, want string // want "" = 400
	}{
		{"/", "/"},
		{"/a/b.html", "/a/b.html"},
		{"/a/", "/a/"},
		{"//a///b", "/a/b"},
		{"/a/./b", "/a/b"},
		{"/a/.", "/a/"},
		{"/a/b/..", "/a/"},
		{"/a/b/../c", "/a/c"},
		{"/a/b/../../c", "/c"},
		{"/a%20b", "/a b"},
		{"/%7Euser", "/~user"},
		{"/%252e%252e/", "/%2e%2e/"}, // decoded once only
		{"/a%2fb", "/a/b"},           // encoded slash is a separator
		{"/a/%2e/b", "/a/b"},
		{"/a/%2E%2E/b", "/b"},
		{"/.hidden", "/.hidden"},
		{"/a..b/...", "/a..b/..."},
		{"/caf%C3%A9", "/café"},
		{"/a\\b", "/a\\b"},
		{"/..", ""},
		{"/../etc/passwd", ""},
		{"/a/../../etc", ""},
		{"/%2e%2e/etc", ""},
		{"/%2e%2e%2fetc", ""},
		{"/a%2f..%2f..%2fetc", ""},
		{"/a%00b", ""},
		{"/a%0ab", ""},
		{"/a%7f", ""},
		{"/a\x01", ""},
		{"/%", ""},
		{"/%4", ""},
		{"/%zz", ""},
		{"a/b", ""},
		{"", ""},
	}
	// The second round is answered by the clean-path cache.
	for _, tt := range append(tests, tests...) {
		got, err := CleanPath([]byte(tt.raw))
		if tt.want == "" {
			var se *http1.StatusError
			if !errors.As(err, &se) || se.Status != 400 {
				t.Errorf("CleanPath(%q) = %q, %v; want a 400 error", tt.raw, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("CleanPath(%q) = %q, %v; want %q", tt.raw, got, err, tt.want)
		}
	}
}

// The clean-path cache keys on a copy of the raw bytes (the caller's
// buffer is the connection's, refilled by the next request), and a hit
// allocates nothing.
func TestCleanPathCache(t *testing.T) {
	buf := []byte("/cache/one.html")
	if p, _ := CleanPath(buf); p != "/cache/one.html" {
		t.Fatalf("got %q", p)
	}
	copy(buf, "/cache/two")
	if p, _ := CleanPath(buf); p != "/cache/two.html" {
		t.Fatalf("after the buffer changed: got %q", p)
	}
	dirty := []byte("/cache/./x/../three%20")
	for range 2 {
		if p, err := CleanPath(dirty); err != nil || p != "/cache/three " {
			t.Fatalf("got %q, %v", p, err)
		}
	}
	if n := testing.AllocsPerRun(100, func() { CleanPath(dirty) }); n != 0 {
		t.Errorf("cached CleanPath: %v allocations, want 0", n)
	}
	long := []byte("/" + strings.Repeat("a", maxCachedPath))
	for range 2 {
		if p, _ := CleanPath(long); p != string(long) {
			t.Fatal("long path")
		}
	}
}

func TestFilePath(t *testing.T) {
	tests := []struct {
		loc  config.Location
		path string
		want string
	}{
		{config.Location{Root: "/srv/www"}, "/a/b.html", "/srv/www/a/b.html"},
		{config.Location{Root: "/srv/www/"}, "/", "/srv/www"},
		{config.Location{Root: "/srv/www"}, "/d/", "/srv/www/d"},
		{config.Location{Path: "/img/", Alias: "/data/images/"}, "/img/a.png", "/data/images/a.png"},
		{config.Location{Path: "/img", Alias: "/data/images"}, "/img/a.png", "/data/images/a.png"},
		{config.Location{Path: "/img", Alias: "/data/images"}, "/img", "/data/images"},
		{config.Location{Path: "/f", Exact: true, Alias: "/data/file.txt"}, "/f", "/data/file.txt"},
		{config.Location{Root: "/"}, "/etc/x", "/etc/x"},
	}
	for _, tt := range tests {
		if got := FilePath(&tt.loc, tt.path); got != tt.want {
			t.Errorf("FilePath(%+v, %q) = %q, want %q", tt.loc, tt.path, got, tt.want)
		}
	}
}

// FuzzCleanPath checks the property the file system relies on: whatever
// the request path, a successful CleanPath result joined to a root stays
// inside that root, and cleaning is idempotent.
func FuzzCleanPath(f *testing.F) {
	for _, s := range []string{"/", "/a/../b", "/%2e%2e/x", "//a//./b/", "/a%2f..%2f..", "/%", "/caf%C3%A9/", "/.."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		p, err := CleanPath([]byte(raw))
		if p2, err2 := cleanPath([]byte(raw)); p2 != p || (err == nil) != (err2 == nil) {
			t.Fatalf("cached CleanPath(%q) = %q, %v; uncached %q, %v", raw, p, err, p2, err2)
		}
		if err != nil {
			var se *http1.StatusError
			if !errors.As(err, &se) || se.Status != 400 {
				t.Fatalf("CleanPath(%q) error %v is not a 400 StatusError", raw, err)
			}
			return
		}
		if !strings.HasPrefix(p, "/") || strings.Contains(p, "//") {
			t.Fatalf("CleanPath(%q) = %q: not absolute or has an empty segment", raw, p)
		}
		for _, seg := range strings.Split(p, "/") {
			if seg == "." || seg == ".." {
				t.Fatalf("CleanPath(%q) = %q: dot segment left", raw, p)
			}
		}
		again, err := CleanPath([]byte(p))
		if err != nil && !strings.Contains(p, "%") {
			t.Fatalf("CleanPath(%q) = %q, which does not clean again: %v", raw, p, err)
		}
		if err == nil && !strings.Contains(p, "%") && again != p {
			t.Fatalf("CleanPath not idempotent: %q -> %q -> %q", raw, p, again)
		}
		const root = "/srv/www"
		fp := FilePath(&config.Location{Root: root}, p)
		if rel, err := filepath.Rel(root, fp); err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
			t.Fatalf("CleanPath(%q) = %q maps to %q, outside %s", raw, p, fp, root)
		}
		fa := FilePath(&config.Location{Path: "/a/", Alias: "/data/x"}, p)
		if fa != "/data/x" && !strings.HasPrefix(fa, "/data/x/") {
			t.Fatalf("alias path for %q = %q, outside /data/x", p, fa)
		}
	})
}

func BenchmarkServer(b *testing.B) {
	var servers []*config.Server
	for _, n := range []string{"a.test", "b.test", "c.test", "*.d.test"} {
		servers = append(servers, listen(srv(n), ":80", false))
	}
	tab := New(&config.Config{Servers: servers})
	host := []byte("www.d.test:80")
	b.ReportAllocs()
	for b.Loop() {
		tab.Server(":80", host)
	}
}

func BenchmarkCleanPath(b *testing.B) {
	for _, p := range []string{"/static/css/site.css", "/a/./b/../c%20d/"} {
		b.Run(p, func(b *testing.B) {
			raw := []byte(p)
			b.ReportAllocs()
			for b.Loop() {
				CleanPath(raw)
			}
		})
		b.Run("uncached"+p, func(b *testing.B) {
			raw := []byte(p)
			b.ReportAllocs()
			for b.Loop() {
				cleanPath(raw)
			}
		})
	}
}

func BenchmarkLocation(b *testing.B) {
	s := &config.Server{Default: &config.Location{}}
	for _, p := range []string{"/", "/img/", "/api", "/static/", "/upload"} {
		s.Locations = append(s.Locations, &config.Location{Path: p})
	}
	b.ReportAllocs()
	for b.Loop() {
		Location(s, "/static/css/site.css")
	}
}

// BenchmarkServerUnnamed is the site of one server without server_name,
// asked twice per request (the limits before Host, then Host).
func BenchmarkServerUnnamed(b *testing.B) {
	tab := New(&config.Config{Servers: []*config.Server{listen(srv(), ":80", false)}})
	host := []byte("localhost:8080")
	b.ReportAllocs()
	for b.Loop() {
		if tab.Server(":80", nil) == nil || tab.Server(":80", host) == nil {
			b.Fatal("no server")
		}
	}
}

// BenchmarkAppendFilePath builds the path a request opens, as the static
// handler does on its stack.
func BenchmarkAppendFilePath(b *testing.B) {
	loc := &config.Location{Root: "/srv/www"}
	var buf [512]byte
	b.ReportAllocs()
	for b.Loop() {
		AppendFilePath(buf[:0], loc, "/static/css/site.css")
	}
}

// BenchmarkServerNamed is a site whose server has a name, asked twice
// per request (the limits before Host, then Host).
func BenchmarkServerNamed(b *testing.B) {
	tab := New(&config.Config{Servers: []*config.Server{
		listen(srv("example.com", "www.example.com"), ":80", false),
		listen(srv("other.test"), ":80", false),
	}})
	host := []byte("www.example.com")
	b.ReportAllocs()
	for b.Loop() {
		if tab.Server(":80", nil) == nil || tab.Server(":80", host) == nil {
			b.Fatal("no server")
		}
	}
}
