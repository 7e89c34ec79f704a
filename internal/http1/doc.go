// Package http1 owns the HTTP/1.1 wire format: the request head parser, the
// chunked body decoder and the response writer. It does no networking and
// touches no files; the connection loop in internal/server feeds it bytes
// and turns its *StatusError values into responses in one place.
//
// Request parsing (parser.go) implements RFC 9112 §2.2 (message parsing,
// bare LF, leading empty lines), §3 (request line, request-target forms,
// Host), §5 (field lines, no obs-fold), §6 (message body length:
// Content-Length and Transfer-Encoding) and §9.3 (persistence), with the
// field rules of RFC 9110 §5 and §8.6 and Expect from RFC 9110 §10.1.1.
// Parser.Parse is incremental: given the growing buffer of a request head
// it scans each byte once and allocates nothing in the steady state; its
// result does not depend on how the head was split across reads.
//
// Chunked decoding (chunked.go) implements RFC 9112 §7.1: chunk size,
// extensions checked and ignored (§7.1.1), trailers checked and discarded
// (§7.1.2). It never consumes bytes past the end of the body, so pipelined
// requests stay in the connection's bufio.Reader.
//
// Response writing (response.go) frames responses with Content-Length or
// chunked transfer coding and adds Date, Server and Connection.
package http1
