package cgi

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"webserv/internal/config"
	"webserv/internal/http1"
)

func writeFile(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

func TestFind(t *testing.T) {
	root := t.TempDir()
	outside := t.TempDir()
	writeFile(t, root+"/cgi/env.sh", "#!/bin/sh\n", 0o755)
	writeFile(t, root+"/cgi/noexec.sh", "#!/bin/sh\n", 0o644)
	writeFile(t, root+"/app.php", "<?php ?>", 0o644)
	writeFile(t, root+"/dir.php/real.sh", "#!/bin/sh\n", 0o755)
	writeFile(t, root+"/idx/index.php", "<?php ?>", 0o644)
	writeFile(t, root+"/static/index.html", "hi", 0o644)
	writeFile(t, root+"/static/index.php", "<?php ?>", 0o644)
	writeFile(t, root+"/plain/a.txt", "hi", 0o644)
	writeFile(t, outside+"/evil.sh", "#!/bin/sh\n", 0o755)
	if err := os.Symlink(outside+"/evil.sh", root+"/cgi/link.sh"); err != nil {
		t.Fatal(err)
	}
	cgis := []config.CGI{{Ext: ".sh"}, {Ext: ".php", Interpreter: "/usr/bin/php-cgi"}}
	loc := &config.Location{Path: "/", Root: root, Index: []string{"index.html", "index.php"}, CGI: cgis, DisableSymlinks: true}
	idxLoc := &config.Location{Path: "/", Root: root, Index: []string{"missing.html", "index.php"}, CGI: cgis}
	alias := &config.Location{Path: "/al/", Alias: root + "/cgi/", CGI: cgis}
	noCGI := &config.Location{Path: "/", Root: root}

	tests := []struct {
		name   string
		loc    *config.Location
		path   string
		want   *Script // nil: not CGI (unless status)
		status int
	}{
		{"script", loc, "/cgi/env.sh", &Script{Name: "/cgi/env.sh", File: root + "/cgi/env.sh", DocumentRoot: root}, 0},
		{"path info", loc, "/cgi/env.sh/a/b/", &Script{Name: "/cgi/env.sh", File: root + "/cgi/env.sh", PathInfo: "/a/b/", DocumentRoot: root}, 0},
		{"missing", loc, "/cgi/missing.sh", nil, 404},
		{"missing with path info", loc, "/cgi/missing.sh/x", nil, 404},
		{"missing parent", loc, "/nodir/x.sh", nil, 404},
		{"not executable", loc, "/cgi/noexec.sh", nil, 403},
		{"interpreter needs no x bit", loc, "/app.php/p", &Script{Name: "/app.php", File: root + "/app.php", PathInfo: "/p", Interpreter: "/usr/bin/php-cgi", DocumentRoot: root}, 0},
		{"directory walked through", loc, "/dir.php/real.sh/pi", &Script{Name: "/dir.php/real.sh", File: root + "/dir.php/real.sh", PathInfo: "/pi", DocumentRoot: root}, 0},
		{"directory itself", loc, "/dir.php/", nil, 0},
		{"index.php", idxLoc, "/idx/", &Script{Name: "/idx/index.php", File: root + "/idx/index.php", Interpreter: "/usr/bin/php-cgi", DocumentRoot: root}, 0},
		{"static index first", loc, "/static/", nil, 0},
		{"directory without slash", idxLoc, "/idx", nil, 0},
		{"plain file", loc, "/plain/a.txt", nil, 0},
		{"no cgi configured", noCGI, "/cgi/env.sh", nil, 0},
		{"alias", alias, "/al/env.sh/x", &Script{Name: "/al/env.sh", File: root + "/cgi/env.sh", PathInfo: "/x", DocumentRoot: root + "/cgi"}, 0},
		{"symlink out of root", loc, "/cgi/link.sh", nil, 404},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Find(nil, tc.loc, tc.path)
			if tc.status != 0 {
				var se *http1.StatusError
				if !errors.As(err, &se) || se.Status != tc.status {
					t.Fatalf("Find(%q) = %+v, %v; want status %d", tc.path, got, err, tc.status)
				}
				return
			}
			if err != nil {
				t.Fatalf("Find(%q) error %v", tc.path, err)
			}
			switch {
			case got == nil && tc.want == nil:
			case got == nil || tc.want == nil || *got != *tc.want:
				t.Fatalf("Find(%q) = %+v, want %+v", tc.path, got, tc.want)
			}
		})
	}
}
