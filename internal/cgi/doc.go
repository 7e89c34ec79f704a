// Package cgi is the CGI/1.1 host (RFC 3875, SPEC §5): it decides whether
// a request names a CGI program (Find), builds the program's meta-variables
// (Env) and runs it, streaming the request body to its stdin and its
// stdout, once parsed, to the client (Runner.Serve). A Runner belongs to
// one server: it knows the process groups of that server's programs, so
// that the server's shutdown kills them (KillAll) and no other's. Find
// applies disable_symlinks and maps file errors as the static handler
// does, through package fspolicy.
//
// It owns:
//
//   - Script selection: the first path segment ending in a configured
//     `cgi` extension that names a regular file; the rest is PATH_INFO
//     (RFC 3875 §4.1.5). An `index` entry with a `cgi` extension runs as
//     CGI for its directory, as in nginx + PHP sites.
//   - The environment (RFC 3875 §4.1): the meta-variables, request headers
//     as HTTP_* (§4.1.18) minus Proxy (httpoxy, CVE-2016-5385),
//     Content-Length and Content-Type, and header names containing '_'
//     (nginx's underscores_in_headers off: "X-Foo" and "X_Foo" would both
//     become HTTP_X_FOO, so one could spoof the other). PATH is the only
//     variable inherited from the server.
//   - Running the program: its own process group (so that a timeout, a
//     client disconnect or shutdown kills the program and everything it
//     spawned), working directory = the script's directory (§7.2), stdin
//     fed from the request body concurrently with reading stdout (neither
//     side can deadlock the other; /dev/null without a body), stderr
//     logged line by line.
//   - Parsing the response (RFC 3875 §6): the header section (LF or CRLF
//     line ends, bounded by maxHeaderBytes), Status, Location (local
//     redirect, client redirect, client redirect with document) and
//     pass-through of the other fields except hop-by-hop ones.
//
// Decisions the RFC leaves open, made here:
//
//   - A chunked request body is streamed with no CONTENT_LENGTH (as
//     nginx + fcgiwrap do): the program reads stdin to EOF. Spooling the
//     body to disk first would buy RFC 3875 §4.1.2 strictness at the cost
//     of latency and disk; HTTP_TRANSFER_ENCODING=chunked tells programs
//     that care (Werkzeug, for one) to read until EOF.
//   - Query-string "search words" are never passed as command-line
//     arguments (§4.4 SHOULD): doing so is how CVE-2012-1823 turned
//     php-cgi into remote code execution.
//   - A document response without Content-Type is passed on without one
//     (RFC 9110 §8.3 lets the recipient decide) rather than with an
//     invented type.
//   - A local redirect is a Location beginning with a single "/" and no
//     other field (§6.2.2, strictly: no Status either); a path Location
//     with other fields is sent to the client as a redirect, as PHP's
//     header("Location: /x") expects.
//   - The reason phrase of a Status field is not kept: the response
//     writer sends the standard phrase for the code.
//   - Without a Content-Length from the program, the first 64 KiB of the
//     body are held for up to 50ms after the header: a program whose
//     stdout ends within them has its response sent with Content-Length
//     (as lighttpd does; simple clients and caches need it). Otherwise the
//     body streams, chunked (HTTP/1.1) or close-delimited (HTTP/1.0) by
//     the ResponseWriter. With a Content-Length from the program, exactly
//     that many bytes are sent; fewer make Serve return an error so that
//     the connection closes.
//   - A client that closes its connection gets the program killed even
//     while the program is silent (Request.ClientGone watches the socket
//     once the request body is read and the program has run 100ms), not
//     only when a write fails. A half-close counts as a close, as in
//     nginx. A program done within the 100ms is not watched, and its
//     stderr is read once it has exited.
//   - cgi_timeout bounds silence: the time between two reads of the
//     program's stdout, not the program's whole run.
//   - The program's process group is killed (SIGKILL) whenever Serve
//     returns, even after a normal exit: background children (`cmd &`)
//     do not outlive the request. A program that leaves its group
//     (setsid) escapes this, as it would under any CGI host.
package cgi
