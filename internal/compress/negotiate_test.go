package compress

import (
	"testing"

	"webserv/internal/config"
	"webserv/internal/http1"
)

func request(fields ...string) *http1.Request {
	r := &http1.Request{}
	for _, v := range fields {
		r.Fields = append(r.Fields, http1.Field{Name: []byte("Accept-Encoding"), Value: []byte(v)})
	}
	return r
}

func TestNegotiate(t *testing.T) {
	all := config.AllCodings
	for _, c := range []struct {
		name    string
		fields  []string
		offered config.Codings
		want    Coding
		noIdent bool
	}{
		{"absent", nil, all, Identity, false},
		{"empty", []string{""}, all, Identity, false},
		{"gzip", []string{"gzip"}, all, config.Gzip, false},
		{"x-gzip", []string{"x-gzip"}, all, config.Gzip, false},
		{"case", []string{"GZip, BR"}, all, config.Br, false},
		{"tie: server preference", []string{"gzip, br, zstd"}, all, config.Zstd, false},
		{"tie without zstd offered", []string{"gzip, br, zstd"}, config.Gzip | config.Br, config.Br, false},
		{"q decides", []string{"zstd;q=0.1, gzip;q=0.9, br;q=0.5"}, all, config.Gzip, false},
		{"q with spaces", []string{"br ; q=0.2 , gzip ;q=0.3"}, all, config.Gzip, false},
		{"q=0 excludes", []string{"gzip;q=0"}, all, Identity, false},
		{"q=0.000", []string{"gzip;q=0.000, br;q=0.001"}, all, config.Br, false},
		{"star", []string{"*"}, all, config.Zstd, false},
		{"star offered gzip", []string{"*"}, config.Gzip, config.Gzip, false},
		{"star with exclusion", []string{"*;q=0.5, zstd;q=0"}, all, config.Br, false},
		{"listed beats star", []string{"*;q=0.1, gzip;q=0.5"}, all, config.Gzip, false},
		{"identity;q=0", []string{"gzip, identity;q=0"}, all, config.Gzip, true},
		{"star;q=0", []string{"*;q=0"}, all, Identity, true},
		{"star;q=0 identity listed", []string{"*;q=0, identity"}, all, Identity, false},
		{"only identity refused", []string{"identity;q=0"}, all, Identity, true},
		{"unknown codings", []string{"deflate, compress"}, all, Identity, false},
		{"bad q ignored", []string{"gzip;q=2, br;q=x, zstd;q=1.5"}, all, Identity, false},
		{"q=1.000", []string{"br;q=1.000, gzip;q=1"}, all, config.Br, false},
		{"other params", []string{"gzip;foo=bar;q=0.5, br;q=0.4"}, all, config.Gzip, false},
		{"two fields", []string{"br;q=0.2", "gzip;q=0.3"}, all, config.Gzip, false},
		{"empty members", []string{" ,, gzip ,"}, all, config.Gzip, false},
		{"not offered", []string{"br"}, config.Gzip, Identity, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := Negotiate(request(c.fields...), c.offered)
			if got.Coding != c.want || got.NoIdentity != c.noIdent {
				t.Errorf("got %s (no identity %v), want %s (%v)", Name(got.Coding), got.NoIdentity, Name(c.want), c.noIdent)
			}
		})
	}
}

func TestNegotiateAllocs(t *testing.T) {
	r := request("gzip, deflate, br;q=0.9, zstd;q=0.8, *;q=0.1")
	if n := testing.AllocsPerRun(100, func() { Negotiate(r, config.AllCodings) }); n != 0 {
		t.Errorf("got %v allocations, want 0", n)
	}
}

func FuzzNegotiate(f *testing.F) {
	for _, s := range []string{"gzip", "br;q=0.5, *;q=0", "identity;q=0", "zstd;q=1.000;x=y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ch := Negotiate(request(s), config.AllCodings)
		if ch.Coding&^config.AllCodings != 0 || ch.Coding&(ch.Coding-1) != 0 {
			t.Errorf("%q: got coding %d, not one of the offered", s, ch.Coding)
		}
	})
}

func TestCodedETag(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`"abc"`, `"abc-gzip"`},
		{`W/"abc"`, `W/"abc-gzip"`},
		{`""`, `"-gzip"`},
		{`abc`, `abc`},
		{``, ``},
	} {
		if got := codedETag(c.in, config.Gzip); got != c.want {
			t.Errorf("codedETag(%s): got %s, want %s", c.in, got, c.want)
		}
		if c.in != c.want && !sameSource(c.want, c.in) {
			t.Errorf("sameSource(%s, %s) false", c.want, c.in)
		}
	}
	if sameSource(`"abd-gzip"`, `"abc"`) {
		t.Error("sameSource of another tag")
	}
}

func TestTypeListed(t *testing.T) {
	def := (&config.Compress{}).TypeList()
	for _, c := range []struct {
		types []string
		ctype string
		want  bool
	}{
		{def, "text/html; charset=utf-8", true},
		{def, "Text/CSS", true},
		{def, "image/png", false},
		{def, "image/svg+xml", true},
		{def, "", false},
		{[]string{"*"}, "image/jpeg", false},
		{[]string{"*"}, "application/x-custom", true},
		{[]string{"*"}, "image/svg+xml", true},
		{[]string{"*"}, "font/woff2", false},
	} {
		if got := typeListed(c.types, c.ctype); got != c.want {
			t.Errorf("%v %q: got %v, want %v", c.types, c.ctype, got, c.want)
		}
	}
}
