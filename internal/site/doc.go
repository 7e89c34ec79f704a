// Package site holds the embedded default configuration and demo site that
// webserv serves when started without arguments (SPEC §1). The files are
// compiled into the binary with go:embed and written out to a cache
// directory at startup, so that they are served like any other site: from
// disk, with sendfile, listings and (later) CGI programs that must exist as
// real files.
package site
