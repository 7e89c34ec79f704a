// Package server owns listeners, the accept loop and the connection
// lifecycle: a new connection's first request is read on Go's netpoller
// by a pool of goroutines (workers.go); a plain keep-alive connection
// waiting for its next request gives its goroutine and read buffers back
// and parks in an event loop on Linux (loop.go), which serves its next
// requests itself until one would wait; elsewhere, and for TLS, it waits
// in its goroutine and is then parked on a poller of the process — an
// epoll set, or a kqueue on macOS and FreeBSD (park.go) — until bytes
// arrive.
// It enforces the per-phase deadlines (client_header_timeout → 408,
// client_body_timeout → 408, keepalive_timeout, send_timeout),
// keepalive_requests, max_connections (past it, idle connections are
// closed to make room — reclaim.go — and while all are busy clients wait
// in the backlog), accept back-off on EMFILE, graceful shutdown, and a
// recover per connection and per request. Inherited descriptors are marked
// close-on-exec at startup (inherit.go), so CGI programs do not get them.
//
// A request that parsed well goes to the configuration's dispatch layer
// (internal/dispatch) as a dispatch.Exchange; the HTTP/1.1 wire format —
// parsing, response framing, the request body reader and the lingering
// close — is internal/http1's. The connection loop is the one place where
// a head that does not parse becomes a response. Persistence follows RFC
// 9112 §9.3; after an error that loses the framing the connection closes
// (SPEC §3).
//
// Operations (SPEC §1, §6): reload.go swaps a whole configuration state
// (routing table, listen flags, certificates, access logs, dispatcher,
// static files) atomically and keeps the sockets of addresses that stay;
// tls.go chooses certificates by SNI (RFC 6066 §3); proxy.go reads a
// PROXY protocol header and performs the TLS handshake before the first
// request; status.go keeps the lock-free counters, writes access log
// lines and renders the status page's counters.
//
// State belongs to a Server, so that two servers in one process (as tests
// run them) share nothing: its connections, idle workers and read buffer
// pools, its CGI programs (a cgi.Runner, killed at its shutdown), and per
// configuration (state, swapped whole by a reload) the routing table,
// certificates, access logs, CGI slots, dispatcher and static files with
// their caches and root directories (a static.Files, closed when the
// configuration is retired). Only the parker and the event loops are the
// process's (park.go says why); each connection keeps its own server.
package server
