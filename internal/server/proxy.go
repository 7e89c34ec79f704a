package server

import (
	"crypto/tls"
	"net/netip"
	"time"

	"webserv/internal/proxyproto"
)

// prepare runs once before a connection's first request. On a
// proxy_protocol address it reads the PROXY header, whose source address
// replaces the peer's (the balancer's) as the client address; on an ssl
// address it performs the TLS handshake. Both must finish within the
// address's client_header_timeout. It reports whether the connection may
// go on; a connection without a valid header, or whose handshake fails, is
// closed without an answer (a PROXY header is not HTTP, and the spec asks
// receivers to drop such connections).
func (c *conn) prepare() bool {
	st := c.srv.state.Load()
	f, ok := st.listens[c.addr]
	if !ok {
		return false // accepted just before a reload removed the address
	}
	if !f.proxyProtocol && !f.ssl {
		return true
	}
	def := st.table.Server(c.addr, nil)
	// Nothing is in flight yet: Shutdown (or reclaim) may close the
	// connection.
	c.goIdle(false)
	if f.proxyProtocol {
		c.rwc.SetReadDeadline(deadline(def.ClientHeaderTimeout))
		h, err := proxyproto.Read(c.rwc)
		if err != nil {
			c.srv.stats.proxyErrors.Add(1)
			c.srv.Log.Debug("PROXY protocol header rejected", "remote", c.Remote(), "addr", c.addr, "err", err)
			return false
		}
		if !h.Local {
			// An IPv4 client carried in a v2 TCP6 block is logged as
			// IPv4, as the balancer saw it.
			c.remoteAddr = netip.AddrPortFrom(h.Source.Addr().Unmap(), h.Source.Port()).String()
		}
	}
	if f.ssl {
		tc := tls.Server(c.rwc, c.lis.tls)
		tc.SetDeadline(deadline(def.ClientHeaderTimeout))
		if err := tc.Handshake(); err != nil {
			c.srv.stats.tlsErrors.Add(1)
			c.srv.Log.Debug("TLS handshake failed", "remote", c.Remote(), "addr", c.addr, "err", err)
			return false
		}
		tc.SetDeadline(time.Time{})
		// Shutdown closes connections under s.mu; it must see either
		// the socket or the TLS connection, whole.
		c.srv.mu.Lock()
		c.rwc = tc
		c.srv.mu.Unlock()
		// The idle waiter watches the socket, but the TLS layer may hold
		// decrypted bytes the socket no longer shows: wait in Read, or
		// in a loop that reads through TLS until the socket is empty
		// (loop.go).
		c.idle = nil
		c.tls = true
		if nw, ok := tc.NetConn().(noWaitConn); ok && c.loop != nil {
			nw.SetWaiter(c)
			c.tlsLoop = true
		}
	}
	c.rwc.SetReadDeadline(time.Time{})
	return true
}
