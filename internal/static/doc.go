// Package static serves files and directories for GET and HEAD: root and
// alias mapping (through package route), index files, autoindex listings,
// the disable_symlinks policy, Content-Type from a built-in table, and file
// errors mapped to 404/403/503/500 (SPEC §3). Small files leave with their
// head in one writev; large ones with sendfile.
//
// Validators and conditional and range requests (RFC 9110 §8.8, §13, §14)
// build on this package. With compression (SPEC §7, internal/compress) it
// evaluates preconditions against the ETag the compressed response carries
// and serves precompressed FILE.zst, FILE.br and FILE.gz in FILE's place
// (compress.go).
package static
