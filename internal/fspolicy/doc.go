// Package fspolicy is the one place where the server's file-system rules
// are written, for every handler that touches files (static, upload, CGI):
//
//   - which status a file-system error answers (Error, Status): missing
//     404, no permission 403, out of descriptors 503, disk full 507
//     (SPEC §3, §4);
//   - which directory a location's files live in (Base: root or alias);
//   - disable_symlinks on: a file's real path must lie inside the real
//     root or alias, else 404 (CheckSymlinks, Within, Bases), and a path
//     a symlink leads out of a directory is told apart (Escapes).
//
// It opens nothing and holds nothing but the resolved roots a Bases
// remembers, which belong to whoever made it (one configuration).
package fspolicy
