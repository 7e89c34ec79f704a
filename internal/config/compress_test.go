package config

import (
	"fmt"
	"strings"
	"testing"
)

// TestCompressDirectives: the compression directives, their inheritance
// (http → server → location, each setting on its own, as nginx merges
// them) and their errors.
func TestCompressDirectives(t *testing.T) {
	for _, c := range []struct {
		name, http, server, loc string
		want                    string // the location's Compress, or the error
	}{
		{"default off", "", "", "", "{On:false Codings:1 Types:[] MinLength:20 Level:1 Static:0 StaticAlways:false Vary:true Cache:true}"},
		{"gzip on", "gzip on;", "", "", "{On:true Codings:1 Types:[] MinLength:20 Level:1 Static:0 StaticAlways:false Vary:true Cache:true}"},
		{"compress list", "compress zstd br gzip;", "", "", "{On:true Codings:7 Types:[] MinLength:20 Level:1 Static:0 StaticAlways:false Vary:true Cache:true}"},
		{"gzip off in location", "compress zstd gzip;", "", "gzip off;", "{On:false Codings:5 Types:[] MinLength:20 Level:1 Static:0 StaticAlways:false Vary:true Cache:true}"},
		{"gzip on keeps the list", "compress br;", "compress off;", "gzip on;", "{On:true Codings:2 Types:[] MinLength:20 Level:1 Static:0 StaticAlways:false Vary:true Cache:true}"},
		{"tuning", "gzip on; gzip_types text/css application/json; gzip_min_length 1k; gzip_comp_level 5; gzip_vary off;", "", "",
			"{On:true Codings:1 Types:[text/html text/css application/json] MinLength:1024 Level:5 Static:0 StaticAlways:false Vary:false Cache:true}"},
		{"types star", "gzip_types *;", "", "", "{On:false Codings:1 Types:[text/html *] MinLength:20 Level:1 Static:0 StaticAlways:false Vary:true Cache:true}"},
		{"gzip_static", "", "gzip_static on;", "", "{On:false Codings:1 Types:[] MinLength:20 Level:1 Static:1 StaticAlways:false Vary:true Cache:true}"},
		{"gzip_static always", "", "", "gzip_static always;", "{On:false Codings:1 Types:[] MinLength:20 Level:1 Static:1 StaticAlways:true Vary:true Cache:true}"},
		{"compress_static", "compress_static on;", "", "", "{On:false Codings:1 Types:[] MinLength:20 Level:1 Static:7 StaticAlways:false Vary:true Cache:true}"},
		{"static off in location", "compress_static on;", "", "compress_static off;", "{On:false Codings:1 Types:[] MinLength:20 Level:1 Static:0 StaticAlways:false Vary:true Cache:true}"},
		{"compress_cache off", "gzip on;", "", "compress_cache off;", "{On:true Codings:1 Types:[] MinLength:20 Level:1 Static:0 StaticAlways:false Vary:true Cache:false}"},
		{"proxied and disable", "gzip_proxied any; gzip_disable msie6;", "", "", "{On:false Codings:1 Types:[] MinLength:20 Level:1 Static:0 StaticAlways:false Vary:true Cache:true}"},

		{"bad gzip", "gzip yes;", "", "", `1:13: invalid value "yes" in "gzip" directive, it must be "on" or "off"`},
		{"bad coding", "compress deflate;", "", "", `1:17: invalid value "deflate" in "compress" directive, it must be "gzip", "br", "zstd" or "off"`},
		{"duplicate coding", "compress gzip gzip;", "", "", `1:22: duplicate coding "gzip" in "compress" directive`},
		{"off with codings", "compress off gzip;", "", "", `1:21: "compress off" takes no codings`},
		{"bad level", "gzip_comp_level 10;", "", "", `1:24: invalid value "10" in "gzip_comp_level" directive, it must be a number from 1 to 9`},
		{"bad type", "gzip_types css;", "", "", `1:19: invalid value "css" in "gzip_types" directive, it must be a MIME type such as "text/css" or "*"`},
		{"compress_static always", "compress_static always;", "", "", `1:24: invalid value "always" in "compress_static" directive, it must be "on" or "off"`},
		{"both static", "gzip_static on; compress_static on;", "", "", `1:24: "compress_static" directive is duplicate`},
		{"bad proxied", "gzip_proxied sometimes;", "", "", `1:21: invalid value "sometimes" in "gzip_proxied" directive, it must be one of nginx's gzip_proxied values ("off", "any", "expired", ...)`},
	} {
		t.Run(c.name, func(t *testing.T) {
			conf := fmt.Sprintf("http { %s server { listen 1; %s location /x { %s } } }", c.http, c.server, c.loc)
			cfg, errs := parseLines(t, conf)
			got := strings.Join(errs, "\n")
			if cfg != nil {
				got = fmt.Sprintf("%+v", cfg.Servers[0].Locations[0].Compress)
			}
			if got != c.want {
				t.Errorf("got  %s\nwant %s", got, c.want)
			}
		})
	}
}

// TestCompressDisableWarns: a gzip_disable other than msie6 is not
// applied, and the load says so.
func TestCompressDisableWarns(t *testing.T) {
	cfg, errs := parseLines(t, `http { gzip_disable "MSIE [1-6]\."; server { listen 1; } }`)
	if errs != nil {
		t.Fatal(errs)
	}
	if len(cfg.Warnings) != 1 || !strings.Contains(cfg.Warnings[0].Msg, "gzip_disable") {
		t.Errorf("got warnings %v", cfg.Warnings)
	}
}
