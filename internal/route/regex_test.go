package route

import (
	"regexp"
	"strings"
	"testing"

	"webserv/internal/config"
)

// TestRegexLocation checks nginx's selection order: exact, then the
// longest prefix, then regexes in file order unless the prefix is ^~,
// then the prefix; named locations never match. Hostile paths (long,
// high bytes, newlines that CleanPath would refuse anyway) select
// without panicking.
func TestRegexLocation(t *testing.T) {
	def := &config.Location{}
	root := &config.Location{Path: "/"}
	static := &config.Location{Path: "/static/", NoRegex: true}
	exact := &config.Location{Path: "/x.php", Exact: true}
	php := &config.Location{Path: `\.php$`, Regex: regexp.MustCompile(`\.php$`)}
	assets := &config.Location{Path: `\.(css|js)$`, Regex: regexp.MustCompile(`(?i)\.(css|js)$`)}
	anyCSS := &config.Location{Path: `css`, Regex: regexp.MustCompile(`css`)}
	user := &config.Location{Path: `^/u/(\w+)/(.*)$`, Regex: regexp.MustCompile(`^/u/(\w+)/(.*)$`), Captures: true}
	named := &config.Location{Path: "@fb", Named: true}
	s := &config.Server{Default: def, Locations: []*config.Location{root, static, exact, named, php, assets, anyCSS, user}}
	noRoot := &config.Server{Default: def, Locations: []*config.Location{php}}

	tests := []struct {
		s    *config.Server
		path string
		want *config.Location
	}{
		{s, "/x.php", exact},
		{s, "/a/x.php", php},
		{s, "/a/x.PHP", root},        // ~ is case-sensitive
		{s, "/site.CSS", assets},     // ~* is not
		{s, "/static/a.php", static}, // ^~ stops the regex search
		{s, "/static/a.css", static}, // ^~ stops the regex search
		{s, "/a.css", assets},        // first regex in file order wins over a later one
		{s, "/cssdir/", anyCSS},      // the later regex when the first does not match
		{s, "/u/bob/a/b.txt", user},  // captures
		{s, "/@fb", root},            // named locations are not paths
		{s, "/", root},               // no regex matches: the prefix
		{noRoot, "/a", def},          // nothing: the server's default
		{noRoot, "/a.php", php},      // a regex without any prefix
		{s, "/" + strings.Repeat("a", 1<<16) + ".php", php},
		{s, "/\xff\xfe.php", php},
	}
	for _, tt := range tests {
		if got := Location(tt.s, tt.path); got != tt.want {
			t.Errorf("Location(%.40q) = %q, want %q", tt.path, got.Path, tt.want.Path)
		}
	}
	loc, caps := Select(s, "/u/bob/a/b.txt")
	if loc != user || len(caps) != 6 || "/u/bob/a/b.txt"[caps[2]:caps[3]] != "bob" || "/u/bob/a/b.txt"[caps[4]:caps[5]] != "a/b.txt" {
		t.Errorf("Select: %q %v", loc.Path, caps)
	}
	if _, caps := Select(s, "/a/x.php"); caps != nil {
		t.Errorf("Select reported captures for a location without them: %v", caps)
	}
	if Named(s, "@fb") != named || Named(s, "@nope") != nil || Named(s, "/") != nil {
		t.Error("Named")
	}
	// A location without captures matches without allocating (regexp
	// keeps its matchers in a sync.Pool, which the race detector drains).
	if n := testing.AllocsPerRun(100, func() { Select(s, "/a/b/x.php") }); n != 0 && !raceEnabled {
		t.Errorf("Select allocates %v times for a regex without captures, want 0", n)
	}
}

// FuzzRegexLocation: selection never panics and always returns a location.
func FuzzRegexLocation(f *testing.F) {
	f.Add("/a.php")
	f.Add("/u/x/y")
	s := &config.Server{Default: &config.Location{}, Locations: []*config.Location{
		{Path: "/"},
		{Path: "/s/", NoRegex: true},
		{Path: `^/u/(\w+)/(.*)$`, Regex: regexp.MustCompile(`^/u/(\w+)/(.*)$`), Captures: true},
		{Path: `\.php$`, Regex: regexp.MustCompile(`\.php$`)},
	}}
	f.Fuzz(func(t *testing.T, path string) {
		loc, caps := Select(s, path)
		if loc == nil {
			t.Fatal("nil location")
		}
		for i := 0; i+1 < len(caps); i += 2 {
			if caps[i] >= 0 && (caps[i] > caps[i+1] || caps[i+1] > len(path)) {
				t.Fatalf("bad captures %v for %q", caps, path)
			}
		}
	})
}

func BenchmarkLocationRegex(b *testing.B) {
	s := &config.Server{Default: &config.Location{}}
	for _, p := range []string{"/", "/img/", "/api", "/static/", "/upload"} {
		s.Locations = append(s.Locations, &config.Location{Path: p})
	}
	s.Locations = append(s.Locations,
		&config.Location{Path: `\.php$`, Regex: regexp.MustCompile(`\.php$`)},
		&config.Location{Path: `\.(css|js)$`, Regex: regexp.MustCompile(`(?i)\.(css|js)$`)})
	b.ReportAllocs()
	for b.Loop() {
		Select(s, "/static/css/site.css")
	}
}

// BenchmarkSelectCaptures: a location whose directives use $1... pays
// for Go's submatch slice (the one allocation per request).
func BenchmarkSelectCaptures(b *testing.B) {
	s := &config.Server{Default: &config.Location{}, Locations: []*config.Location{
		{Path: "/"},
		{Path: `^/u/(\w+)/(.*)$`, Regex: regexp.MustCompile(`^/u/(\w+)/(.*)$`), Captures: true},
	}}
	b.ReportAllocs()
	for b.Loop() {
		Select(s, "/u/bob/pics/a.jpg")
	}
}
