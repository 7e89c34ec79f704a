package cgi

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"webserv/internal/config"
	"webserv/internal/fspolicy"
	"webserv/internal/http1"
	"webserv/internal/route"
)

// Script is a CGI program selected by Find.
type Script struct {
	Name         string // SCRIPT_NAME: the URL path of the script, "/app/x.php"
	File         string // absolute file system path of the script
	PathInfo     string // the path after Name, "" or starting with "/"
	Interpreter  string // absolute path of the interpreter, "" to execute File itself
	DocumentRoot string // loc.Root, or loc.Alias (without trailing "/") for an alias location
}

var errForbidden = &http1.StatusError{Status: 403, Msg: "cgi: script not executable"}

// Find reports whether the clean, decoded path (a route.CleanPath result
// routed to loc) names a CGI program of loc, and which. It returns
// (nil, nil) when the request is not for CGI.
//
// The path's segments are walked left to right; the first prefix whose
// last segment ends in a configured extension selects the script when it
// is a regular file (the rest of the path is PATH_INFO, RFC 3875 §4.1.5),
// is walked through when it is a directory ("/x.php/" dirs exist), and
// is a 404 when it is missing. A path ending in "/" that names a directory
// whose first existing index entry ends in a CGI extension runs that
// entry. A script without an interpreter that the server cannot execute
// is a 403; one that leaves the root through a symlink while
// disable_symlinks is on is a 404, as in the static handler (fspolicy;
// bases are the configuration's resolved roots, nil to resolve them
// afresh).
func Find(bases *fspolicy.Bases, loc *config.Location, path string) (*Script, error) {
	if len(loc.CGI) == 0 || path == "" || path[0] != '/' {
		return nil, nil
	}
	if loc.AliasFile {
		return findAliasFile(bases, loc, path)
	}
	// With an alias, prefixes shorter than the location's own path do not
	// map into the alias (route.FilePath); they cannot name a script.
	minLen := 0
	if loc.Alias != "" {
		minLen = len(strings.TrimSuffix(loc.Path, "/"))
	}
	for i := 1; i <= len(path); i++ {
		if i < len(path) && path[i] != '/' {
			continue
		}
		prefix := path[:i]
		seg := prefix[strings.LastIndexByte(prefix, '/')+1:]
		c := match(loc, seg)
		if c == nil || len(prefix) < minLen {
			continue
		}
		file := route.FilePath(loc, prefix)
		fi, err := os.Stat(file)
		if err != nil {
			return nil, fspolicy.Error(err)
		}
		if fi.IsDir() {
			continue
		}
		return newScript(bases, loc, c, prefix, file, fi, path[i:])
	}
	if !strings.HasSuffix(path, "/") {
		return nil, nil
	}
	dir := route.FilePath(loc, path)
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return nil, nil // the static handler answers
	}
	for _, idx := range loc.Index {
		if idx == "" || strings.Contains(idx, "/") {
			continue // nginx's "/abs/index" form is an internal redirect; not ours
		}
		file := filepath.Join(dir, idx)
		fi, err := os.Stat(file)
		if err != nil || fi.IsDir() {
			continue
		}
		c := match(loc, idx)
		if c == nil {
			return nil, nil // the first existing index is a static file
		}
		return newScript(bases, loc, c, path+idx, file, fi, "")
	}
	return nil, nil
}

// findAliasFile is Find for a location whose alias names a file
// (`location = /app { alias /srv/app.php; }`): the file's own name, not
// the URL's, says whether it is a script, so that a script is never sent
// as a file and a text file never run. The location's path is
// SCRIPT_NAME and the rest of a prefix location's path PATH_INFO.
func findAliasFile(bases *fspolicy.Bases, loc *config.Location, path string) (*Script, error) {
	c := match(loc, filepath.Base(loc.Alias))
	if c == nil {
		return nil, nil
	}
	name := strings.TrimSuffix(loc.Path, "/")
	if !strings.HasPrefix(path, name) {
		return nil, nil // not routed here (a caller bug): not ours
	}
	fi, err := os.Stat(loc.Alias)
	if err != nil {
		return nil, fspolicy.Error(err)
	}
	return newScript(bases, loc, c, name, loc.Alias, fi, path[len(name):])
}

// match returns the cgi directive whose extension ends seg, or nil.
// Extensions compare case-insensitively: "A.PHP" runs as nginx's
// `location ~* \.php$` runs it, and a script is never sent as a file
// because of its name's case (SPEC §5; on a case-insensitive file system
// "/a.PHP" opens a.php).
func match(loc *config.Location, seg string) *config.CGI {
	for i := range loc.CGI {
		if ext := loc.CGI[i].Ext; ext != "" && config.HasSuffixFold(seg, ext) {
			return &loc.CGI[i]
		}
	}
	return nil
}

func newScript(bases *fspolicy.Bases, loc *config.Location, c *config.CGI, name, file string, fi fs.FileInfo, pathInfo string) (*Script, error) {
	if !fi.Mode().IsRegular() {
		return nil, errForbidden
	}
	if err := fspolicy.CheckSymlinks(bases, loc, file); err != nil {
		return nil, err
	}
	// access(2) answers for the server's own credentials, which are the
	// ones the program will run with; mode bits alone would not.
	if c.Interpreter == "" && syscall.Access(file, 1 /* X_OK */) != nil {
		return nil, errForbidden
	}
	root := fspolicy.Base(loc)
	if loc.AliasFile {
		root = filepath.Dir(loc.Alias)
	}
	if root != "/" {
		root = strings.TrimRight(root, "/")
	}
	return &Script{
		Name:         name,
		File:         file,
		PathInfo:     pathInfo,
		Interpreter:  c.Interpreter,
		DocumentRoot: root,
	}, nil
}
