// Package static serves files and directories for GET and HEAD (SPEC §3):
// root and alias mapping (through package route), index files, autoindex
// listings, disable_symlinks, Content-Type from a built-in table (or the
// location's types), validators and conditional and range requests (RFC
// 9110 §8.8, §13, §14). File errors answer the statuses package fspolicy
// gives them (404, 403, 503), and a file any cgi could run is never sent.
// It writes to a response.Writer, whatever protocol carries it.
//
// With compression (SPEC §7, internal/compress) it evaluates
// preconditions against the ETag the compressed response carries and
// serves precompressed FILE.zst, FILE.br and FILE.gz in FILE's place
// (compress.go).
//
// A Files (New) is the handler of one configuration and holds what
// serving keeps between requests, so that a site's everyday requests cost
// few system calls and no allocation:
//
//   - the small-file cache (cache.go): files up to smallFile, with their
//     validators and type, keyed by location and URL path, checked by one
//     stat per hit so that a changed file is never served from it;
//   - the index cache (indexcache.go): which index file a directory URL
//     resolved to, checked by a stat of the directory;
//   - the root directories held open for disable_symlinks on Linux
//     (root.go), where openat2 beneath the root enforces the policy in
//     the open itself, and the resolved roots (fspolicy.Bases).
//
// The server makes a Files with each configuration and closes it when the
// configuration is retired (Files.Close); nothing in it is shared with
// another server or configuration. What stays package-wide is pure: the
// memo of validator and Content-Range strings (memo.go), a function of
// its key, and whether the kernel has openat2.
//
// A file up to mediumFile leaves with its head in one writev; a larger
// one with sendfile after the head.
package static
