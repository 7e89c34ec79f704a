// Package proxyproto reads the PROXY protocol header (versions 1 and 2)
// that a load balancer such as HAProxy sends at the start of a connection
// to pass on the original client's address. The format is HAProxy's
// "The PROXY protocol" specification (proxy-protocol.txt, versions 1 and
// 2): §2.1 the human-readable header, §2.2 the binary header.
//
// Parse validates a header held in memory and is what the fuzz target
// exercises; Read takes one header off a connection without reading a
// single byte past it, so what follows (an HTTP request or a TLS
// ClientHello) is left for the connection's own reader.
//
// Validation is strict, as the specification asks of receivers (§2: "the
// receiver MUST ... reject" a malformed header; a connection whose header
// is bad must be closed): v1 must be the exact text form with valid
// addresses of the announced family and decimal ports without leading
// zeros, at most 107 bytes; v2 must carry version 2 with the LOCAL or
// PROXY command, and for PROXY a TCP over IPv4/IPv6 or UNSPEC family with
// an address block that fits the announced length, and well-formed TLVs.
package proxyproto
