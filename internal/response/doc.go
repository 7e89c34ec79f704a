// Package response defines what a handler writes its answer to, whatever
// carries it: the HTTP/1.1 connection writer (internal/http1), an HTTP/2
// stream, or a wrapper that compresses the body on its way to either.
// Handlers (static files, uploads, CGI) and the dispatch layer see only
// Writer and Header, never the wire format.
package response
