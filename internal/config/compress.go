package config

import (
	"fmt"
	"strconv"
	"strings"
)

// Response compression (SPEC §7; internal/compress applies it). The
// directives are nginx's gzip family plus webserv's own for the codings
// nginx's core does not have (zstd, brotli); docs/configuration.md maps
// each to nginx.

// Codings is a set of content codings (RFC 9110 §8.4.1), one bit each.
type Codings uint8

// The content codings webserv produces (RFC 9110 §8.4.1.3 gzip, RFC 8878
// zstd, RFC 7932 br).
const (
	Gzip Codings = 1 << iota
	Br
	Zstd

	AllCodings = Gzip | Br | Zstd
)

// Compress is a location's compression settings, each inherited from the
// enclosing level unless the location sets it (as nginx merges them).
type Compress struct {
	// On (`gzip on`, `compress CODING...`): responses are compressed on
	// the fly with one of Codings that the request accepts.
	On      bool
	Codings Codings // `compress` list; default gzip only, as nginx's gzip
	// Types are the media types compressed (`gzip_types`), lower case,
	// without parameters; "*" matches any type that is not already
	// compressed. text/html is always in, as in nginx. nil: the default
	// list (TypeList). Read-only: shared.
	Types []string
	// MinLength (`gzip_min_length`): a response that declares a shorter
	// length is sent as it is. One of unknown length is compressed.
	MinLength int64
	Level     int // `gzip_comp_level`, 1 to 9 (gzip only)
	// Static (`gzip_static`, `compress_static`): the precompressed
	// codings looked for beside a file (FILE.gz, FILE.br, FILE.zst).
	// StaticAlways (`gzip_static always`): FILE.gz is sent whether or not
	// the request accepts gzip, as nginx does.
	Static       Codings
	StaticAlways bool
	// Vary (`gzip_vary`, default on unlike nginx: a shared cache that
	// stores a compressed answer without it hands it to clients that
	// cannot decode it): `Vary: Accept-Encoding` on the responses whose
	// coding depends on the request.
	Vary bool
	// Cache (`compress_cache`, default on): the compressed variants of
	// small files are kept (internal/compress, Cache).
	Cache bool
}

// Compression defaults; nginx's where nginx has the directive.
const (
	// defaultMinLength is nginx's gzip_min_length: below it the coding's
	// framing (18 bytes for gzip) outweighs what it saves.
	defaultMinLength = 20
	// defaultCompLevel is nginx's gzip_comp_level: level 1 already gets
	// most of the ratio of text at a fraction of the CPU of level 6.
	defaultCompLevel = 1
)

// defaultCompressTypes are the types compressed when no gzip_types is
// given: text and the textual application types of the built-in table
// (mime.go) — nginx's default is text/html alone, which leaves CSS and
// JavaScript, the bulk of a site's text, uncompressed.
var defaultCompressTypes = []string{
	"text/html", "text/css", "text/plain", "text/javascript", "text/xml", "text/markdown", "text/csv",
	"application/javascript", "application/json", "application/xml", "application/xhtml+xml",
	"application/rss+xml", "application/atom+xml", "application/manifest+json", "application/wasm",
	"image/svg+xml",
}

// defaultCompress is a new location's Compress: off, as in nginx.
func defaultCompress() Compress {
	return Compress{Codings: Gzip, MinLength: defaultMinLength, Level: defaultCompLevel, Vary: true, Cache: true}
}

// TypeList returns the types compressed: Types, or the default list.
func (c *Compress) TypeList() []string {
	if c.Types == nil {
		return defaultCompressTypes
	}
	return c.Types
}

// addCompressDirectives puts the compression directives into the table;
// nginx.go's init calls it after directives.go's has filled it.
func addCompressDirectives() {
	for name, d := range map[string]directive{
		"gzip":            {ctx: ctxAny, min: 1, max: 1, fn: gzipDirective},
		"compress":        {ctx: ctxAny, min: 1, max: 3, fn: compressDirective},
		"gzip_types":      {ctx: ctxAny, min: 1, max: -1, fn: gzipTypes},
		"gzip_min_length": {ctx: ctxAny, min: 1, max: 1, fn: gzipMinLength},
		"gzip_comp_level": {ctx: ctxAny, min: 1, max: 1, fn: gzipCompLevel},
		"gzip_static":     {ctx: ctxAny, min: 1, max: 1, fn: staticDirective(Gzip, true)},
		"compress_static": {ctx: ctxAny, min: 1, max: 1, same: "gzip_static", fn: staticDirective(AllCodings, false)},
		"gzip_vary":       {ctx: ctxAny, min: 1, max: 1, fn: locFlag(func(l *Location, v bool) { l.Compress.Vary = v })},
		"compress_cache":  {ctx: ctxAny, min: 1, max: 1, fn: locFlag(func(l *Location, v bool) { l.Compress.Cache = v })},
		// An origin server has no proxied requests to treat apart: nginx's
		// gzip_proxied looks at a Via header that only a proxy in front
		// adds, and webserv compresses for them as for anyone.
		"gzip_proxied": {ctx: ctxAny, min: 1, max: -1, fn: gzipProxied},
		"gzip_disable": {ctx: ctxAny, min: 1, max: -1, repeat: true, fn: gzipDisable},
	} {
		directives[name] = d
	}
}

// gzipDirective is `gzip on|off;`.
var gzipDirective = locFlag(func(l *Location, on bool) { l.Compress.On = on })

// compressDirective is `compress CODING...;` (zstd, br, gzip, each once)
// or `compress off;`. The order does not matter: on a tie of the client's
// q-values the server prefers zstd, then br, then gzip (internal/compress).
func compressDirective(p *parser, lv *level, st *stmt) error {
	if st.args[0].text == "off" {
		if len(st.args) > 1 {
			return errorf(st.args[1].pos, `"compress off" takes no codings`)
		}
		lv.loc = append(lv.loc, func(l *Location) { l.Compress.On = false })
		return nil
	}
	var set Codings
	for _, a := range st.args {
		c, ok := codingNamed(a.text)
		if !ok {
			return invalidMust(a, st, `"gzip", "br", "zstd" or "off"`)
		}
		if set&c != 0 {
			return errorf(a.pos, "duplicate coding %q in %q directive", a.text, st.name.text)
		}
		set |= c
	}
	lv.loc = append(lv.loc, func(l *Location) { l.Compress.On, l.Compress.Codings = true, set })
	return nil
}

func codingNamed(s string) (Codings, bool) {
	switch strings.ToLower(s) {
	case "gzip":
		return Gzip, true
	case "br":
		return Br, true
	case "zstd":
		return Zstd, true
	}
	return 0, false
}

func gzipTypes(p *parser, lv *level, st *stmt) error {
	types := []string{"text/html"} // always, as nginx
	for _, a := range st.args {
		t := strings.ToLower(a.text)
		if t != "*" && (!strings.Contains(t, "/") || strings.ContainsAny(t, "; \t") || hasCTL(t)) {
			return invalidMust(a, st, `a MIME type such as "text/css" or "*"`)
		}
		if t != "text/html" {
			types = append(types, t)
		}
	}
	lv.loc = append(lv.loc, func(l *Location) { l.Compress.Types = types })
	return nil
}

func gzipMinLength(p *parser, lv *level, st *stmt) error {
	n, err := sizeArg(st, 0)
	if err != nil {
		return err
	}
	lv.loc = append(lv.loc, func(l *Location) { l.Compress.MinLength = n })
	return nil
}

func gzipCompLevel(p *parser, lv *level, st *stmt) error {
	a := st.args[0]
	n, err := strconv.Atoi(a.text)
	if err != nil || !allDigits(a.text) || n < 1 || n > 9 {
		return invalidMust(a, st, "a number from 1 to 9")
	}
	lv.loc = append(lv.loc, func(l *Location) { l.Compress.Level = n })
	return nil
}

// staticDirective is gzip_static (codings Gzip, "always" allowed) and
// compress_static (every coding): on, off, or always.
func staticDirective(codings Codings, always bool) func(*parser, *level, *stmt) error {
	return func(p *parser, lv *level, st *stmt) error {
		a := st.args[0]
		var set Codings
		var alw bool
		switch a.text {
		case "on":
			set = codings
		case "off":
		case "always":
			if !always {
				return invalidMust(a, st, `"on" or "off"`)
			}
			set, alw = codings, true
		default:
			if always {
				return invalidMust(a, st, `"on", "off" or "always"`)
			}
			return invalidMust(a, st, `"on" or "off"`)
		}
		lv.loc = append(lv.loc, func(l *Location) { l.Compress.Static, l.Compress.StaticAlways = set, alw })
		return nil
	}
}

// gzipProxied accepts nginx's values and does nothing (see the table).
func gzipProxied(p *parser, lv *level, st *stmt) error {
	for _, a := range st.args {
		switch a.text {
		case "off", "expired", "no-cache", "no-store", "private", "no_last_modified", "no_etag", "auth", "any":
		default:
			return invalidMust(a, st, `one of nginx's gzip_proxied values ("off", "any", "expired", ...)`)
		}
	}
	return nil
}

// gzipDisable accepts "msie6", which matches only Internet Explorer 6 and
// older (whose gzip bugs are the reason for the directive), with no
// effect: no such browser sends requests today. A regular expression is
// not applied, and says so.
func gzipDisable(p *parser, lv *level, st *stmt) error {
	for _, a := range st.args {
		if a.text != "msie6" {
			p.warn(a.pos, "%s", fmt.Sprintf("`gzip_disable %q` is ignored: webserv does not choose the coding by User-Agent", a.text))
		}
	}
	return nil
}
