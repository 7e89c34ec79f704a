// Package site holds the embedded default configuration and demo site that
// webserv serves when started without arguments (SPEC §1). The files are
// compiled into the binary with go:embed and written out to a cache
// directory at startup, so that they are served like any other site: from
// disk, with sendfile, listings and CGI programs that must exist as real
// files.
//
// The demo pages show every feature in a browser: a directory listing, an
// upload form (multipart/form-data with XMLHttpRequest upload progress)
// with the uploaded files listed and deletable, a CGI program that echoes
// the request, a custom 404 page, a redirect and Range requests on a
// generated 4 MiB file. Uploads are stored in UploadsDir, a writable
// directory outside the extracted site; the listen address is
// DefaultListen unless $WEBSERV_LISTEN overrides it. cmd/webserv's
// e2e_test.go drives the pages in headless Chromium.
package site
