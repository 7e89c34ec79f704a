// Package h2 is webserv's HTTP/2 engine (RFC 9113): it serves one
// connection whose client preface has been, or is about to be, read, and
// runs a Handler on its own goroutine for every request stream.
//
// The frame codec is golang.org/x/net/http2's Framer and the header codec
// golang.org/x/net/http2/hpack (RFC 7541); everything above them is here:
//
//   - the connection preface and SETTINGS exchange, with the values the
//     peer sends validated (RFC 9113 §3.4, §6.5.2);
//   - stream states and identifiers (§5.1, §5.1.1), MAX_CONCURRENT_STREAMS
//     with REFUSED_STREAM (§5.1.2), RST_STREAM (§6.4), PING (§6.7), GOAWAY
//     (§6.8), PRIORITY read and ignored (§5.3.2);
//   - flow control in both directions (§5.2, §6.9): request bodies are
//     buffered up to the receive window only, and credit is returned as
//     the handler reads, so an upload keeps its backpressure and a
//     stream's memory stays bounded by the window; responses wait for the
//     client's credit, with what is buffered ahead of it bounded per
//     stream and per connection;
//   - request header validation (§8.2, §8.3): malformed requests end in a
//     stream error of type PROTOCOL_ERROR; a well-formed request becomes
//     an *http1.Request, the representation every handler takes;
//   - one writer goroutine per connection, fed by the streams: control
//     frames first, then one frame per stream in turn (round robin among
//     streams with data and window), with everything ready coalesced into
//     one write; it runs while there is something to send or a stream is
//     active, so an idle connection holds its reader only (and no read
//     or write buffer);
//   - the denial-of-service bounds of nginx and Go: rapid reset
//     (CVE-2023-44487), CONTINUATION floods (CVE-2024-27316), control
//     frame floods (PING, SETTINGS, PRIORITY, empty frames), bounded HPACK
//     table and strings, send and idle timeouts (see limits.go).
//
// The engine knows nothing about virtual hosts, files or CGI: a Stream is
// a response.Writer, and the dispatch layer serves it as it serves an
// HTTP/1.1 request.
//
// # Serving a connection
//
// A server hands a connection to the engine when TLS negotiated "h2" by
// ALPN (RFC 9113 §3.2), or when a plain listener where h2c is enabled
// reads ClientPreface as the first bytes (prior knowledge, §3.3; the
// bytes read while sniffing are passed as buffered):
//
//	hc := h2.NewConn(nc, &h2.Config{...}, handler) // keep hc for Shutdown
//	err := hc.Serve(sniffed)                        // returns when all handlers have
//
// Shutdown (graceful stop, reload) sends GOAWAY and lets open streams
// finish; Close ends the connection at once.
//
// The Handler's ServeStream runs on its own goroutine per stream (taken
// from a pool of idle ones, see pool.go):
//
//   - st.Err() first: a *http1.StatusError (400, 431, 501) to render as
//     the HTTP/1.1 parser's errors are;
//   - st.Request() is the *http1.Request (Minor 1, KeepAlive true: the
//     access log must say HTTP/2.0 itself), st.NetConn() the connection
//     (TLS state for the SNI and :authority check of RFC 9113 §9.1.1);
//   - a dispatch.Exchange is {Req: st.Request(), W: st, Body: st.Body(),
//     Peer: st}: the body takes the location's limits by SetLimits, and
//     its first read sends 100 (Continue) when the request expects it;
//     the stream is the Peer (ClientGone returns when it is reset);
//   - st.SetServerTokens follows server_tokens; st.Status and
//     st.BodyBytesSent feed the access log; when dispatch reports abort,
//     st.CloseAfter() makes the stream end with RST_STREAM.
//
// When ServeStream returns the response ends: END_STREAM, or
// RST_STREAM(INTERNAL_ERROR) when it is incomplete.
package h2
