// Package upload stores request bodies under a location's upload_store
// (POST, PUT) and removes files (DELETE), as SPEC §4 describes.
//
// Methods and status codes follow RFC 9110: POST §9.3.3 (201 Created with
// Location, §15.3.2), PUT §9.3.4 (201 when the resource was created, 204
// when it was replaced), DELETE §9.3.5 (204). multipart/form-data bodies
// are RFC 7578; the part's filename parameter, including RFC 5987/2231
// "filename*", is decoded by mime.ParseMediaType.
//
// # Streaming
//
// Bodies go to disk through one fixed 32 KiB buffer per request;
// multipart parts are read with multipart.Reader.NextRawPart, never
// ReadForm (which buffers). Memory use does not grow with the body, and a
// part's header, which is held while parsed, is capped by the request
// head's limit (431). One request's work is bounded too: at most maxFiles
// files and maxParts parts, and a free name in a fixed number of tries.
//
// A request holds the store directory open (os.Root) while it runs; the
// server's Roots shares one per store among the requests in flight, so
// that a slow upload costs two descriptors, its socket and its temporary
// file.
//
// # Atomicity and durability
//
// Every file is written to a temporary file in its final directory, named
// ".upload-<random>" (a leading dot hides it from autoindex listings and no
// sanitised name can collide with it), created with O_EXCL, then fsynced
// and closed — a POST's files only once the whole request has been read,
// so that a request refused half-way costs no fsync for the files it
// throws away. Only then does it get its final name:
//
//   - POST never overwrites. The final name is created with link(2) from
//     the temporary file, which fails with EEXIST when the name is taken,
//     so two concurrent uploads of "a.txt" atomically end up as "a.txt"
//     and "a-1.txt" with no window in which either sees a partial file.
//     On a file system without hard links, the name is reserved with
//     O_CREAT|O_EXCL and the temporary file renamed over the reservation
//     (an empty file is then briefly visible under the final name).
//   - PUT replaces: rename(2) over the target is atomic, readers see the
//     old or the new content, never a mix.
//
// The directory is fsynced after the names change (best effort). On any
// failure (the body's own error: 413, 408, client gone; a malformed
// multipart body; a disk error) the temporary file is removed, and a
// multipart POST is all-or-nothing: files of the same request that were
// already stored are removed too.
//
// # Confinement
//
// All file system access goes through an os.Root opened on the store (or
// the location's root/alias for DELETE without a store), so no path, even
// one raced by a concurrent symlink swap, resolves outside it. A symlink
// that points outside is reported as missing (404, or 409 for a PUT's
// parent; fspolicy.Escapes tells), like the static handler does with
// disable_symlinks.
//
// # Errors
//
// Nothing is written to the response.Writer when an error is returned.
// Client-caused outcomes are *http1.StatusError; an error produced by the
// body reader is returned unchanged. File system errors answer what
// package fspolicy says, for every handler alike: missing 404, out of
// descriptors 503, no permission or a read-only file system 403, a full
// disk or quota 507 (RFC 4918 §11.5) — the last two
// wrapped together with their cause, which the server logs; an unexpected
// one is returned wrapped (the caller answers 500 and logs it).
package upload
