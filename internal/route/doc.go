// Package route maps a request to the configuration that serves it and to
// the file it names.
//
// It owns three decisions, made in this order by the caller:
//
//   - CleanPath turns the raw request path into a clean, decoded path:
//     percent-decoding (RFC 3986 §2.1), dot-segment removal (RFC 3986
//     §5.2.4), merged slashes, and rejection with 400 of anything that is
//     malformed or would climb above "/" (SPEC §3). Every later step, and
//     the file system, only ever sees clean paths.
//
//   - Table.Server picks the virtual server: the listener's address selects
//     the servers declared on it, and the Host value (RFC 9110 §7.2, with
//     the port removed, one trailing dot removed and ASCII-lowercased)
//     selects among them by server_name. As in CoreDNS and nginx, the
//     lookup is an exact-name map, then a walk over the host's suffixes for
//     the longest "*.example.com" wildcard, then the address's default
//     server.
//
//   - Location picks the location block of that server: an exact
//     (`location = /p`) match, else the longest prefix that matches at a
//     segment boundary, else the server's Default. FilePath then joins the
//     clean path to the location's root or alias (nginx semantics).
//
// Server and Location run once per request and allocate nothing;
// CleanPath allocates only the returned string (plus a scratch buffer for
// paths longer than 256 bytes that need decoding).
//
// A Table is built once per configuration and is read-only afterwards, so
// it is safe for concurrent use; a reload builds a new one.
package route
