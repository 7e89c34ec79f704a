// Package server owns listeners, the accept loop, the connection lifecycle
// and request dispatch: one goroutine per connection on Go's netpoller,
// per-phase deadlines (client_header_timeout → 408, client_body_timeout →
// 408, keepalive_timeout, send_timeout), keepalive_requests,
// max_connections (past it, idle connections are closed to make room —
// reclaim.go — and while all are busy clients wait in the backlog),
// accept back-off on EMFILE, graceful shutdown, and a recover per
// connection and per request. Inherited descriptors are marked
// close-on-exec at startup (inherit.go), so CGI programs do not get them.
//
// The connection loop is the one place where protocol errors become
// responses; handlers return errors carrying a status and errorPage renders
// them (error_page or the built-in page). Persistence follows RFC 9112 §9.3;
// after an error that loses the framing the connection closes (SPEC §3),
// and a body the handler left unread is discarded before the response
// head, or the head announces the close (conn.go, body.BeforeHead).
//
// Operations (SPEC §1, §6): reload.go swaps a whole configuration state
// (routing table, listen flags, certificates, access logs) atomically and
// keeps the sockets of addresses that stay; tls.go chooses certificates by
// SNI (RFC 6066 §3); proxy.go reads a PROXY protocol header and performs
// the TLS handshake before the first request; status.go keeps the lock-free
// counters, writes access log lines and serves the `status;` page.
package server
