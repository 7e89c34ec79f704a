// Package http1 owns the HTTP/1.1 wire format: the request head parser, the
// chunked body decoder and the response writer. It does not own the
// connection: the connection loop in internal/server reads the socket,
// feeds it bytes, keeps the deadlines and turns its *StatusError values
// into responses in one place. Its ResponseWriter, the response.Writer of
// HTTP/1.1, writes to the connection it is given — a whole small
// response in one writev, a file region with sendfile(2) straight from
// the file's descriptor to the socket — and touches no file by name.
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
// chunked transfer coding (or close-delimited for HTTP/1.0) and adds Date,
// Server and Connection; handlers see it only as a response.Writer.
package http1
