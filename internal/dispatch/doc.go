// Package dispatch applies the nginx rules of a configuration to a
// request that parsed well, whatever protocol carried it: location
// selection and variable aliases, `return`, methods and Allow,
// client_max_body_size, `try_files`, `index` and its internal redirects,
// error pages (including CGI ones), the CGI local-redirect loop, the
// never-send-a-script check, add_header, and the status page. It calls
// every content handler (static files, uploads and deletes, CGI) through
// one signature, content.Handler's Handle, with the protocol-neutral
// response.Writer — the exchange's compressing wrapper of it where the
// location compresses (handle.go, internal/compress).
//
// The protocol layer (internal/server for HTTP/1.1, internal/h2 for
// HTTP/2) fills an Exchange — the request, the writer, the request body
// (Body) and the connection (Peer) — and calls Dispatcher.Serve; a
// Dispatcher is built with each configuration snapshot.
package dispatch
