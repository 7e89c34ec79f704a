// Package server owns listeners, the accept loop, the connection lifecycle
// and request dispatch: one goroutine per connection on Go's netpoller,
// per-phase deadlines (client_header_timeout → 408, client_body_timeout →
// 408, keepalive_timeout, send_timeout), keepalive_requests,
// max_connections (past it the server stops accepting, so clients wait in
// the backlog), accept back-off on EMFILE, graceful shutdown, and a
// recover per connection and per request.
//
// The connection loop is the one place where protocol errors become
// responses; handlers return errors carrying a status and errorPage renders
// them (error_page or the built-in page). Persistence follows RFC 9112 §9.3;
// after an error that loses the framing the connection closes (SPEC §3).
package server
