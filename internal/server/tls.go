package server

import (
	"crypto/tls"
	"errors"
	"fmt"

	"webserv/internal/config"
)

// tlsConfig is the TLS configuration of the listener for addr: TLS 1.2 and
// later with Go's default cipher suites and curves, HTTP/2 and HTTP/1.1
// over ALPN (RFC 7301; HTTP/1.1 only for a server with `http2 off`), and the certificate chosen per handshake from the state in
// force, so that a reload's certificates apply to the next handshake.
//
// A server with ssl_protocols or ssl_ciphers gets its own versions and
// suites: the ClientHello's SNI picks the server as it picks the
// certificate, before the version is negotiated.
func (s *Server) tlsConfig(addr string) *tls.Config {
	getCert := func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
		return s.state.Load().certificate(addr, hello.ServerName)
	}
	return &tls.Config{
		MinVersion:     tls.VersionTLS12,
		NextProtos:     alpn(nil),
		GetCertificate: getCert,
		GetConfigForClient: func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
			srv := s.state.Load().table.Server(addr, []byte(hello.ServerName))
			if srv == nil || srv.TLSMinVersion == 0 && srv.TLSCipherSuites == nil && srv.HTTP2 != config.HTTP2Off {
				return nil, nil // the listener's configuration
			}
			// Session tickets keep working: a returned Config without
			// its own keys uses the listener's (crypto/tls).
			c := &tls.Config{
				MinVersion:     tls.VersionTLS12,
				NextProtos:     alpn(srv),
				GetCertificate: getCert,
				CipherSuites:   srv.TLSCipherSuites,
			}
			if srv.TLSMinVersion != 0 {
				c.MinVersion, c.MaxVersion = srv.TLSMinVersion, srv.TLSMaxVersion
			}
			return c, nil
		},
	}
}

var errNoCertificate = errors.New("server: no certificate for this address")

// certificate picks the certificate for a handshake on addr whose SNI
// (RFC 6066 §3) names name: the server that name selects, matched as a
// Host is (exact, then wildcard, then the address's default server), if it
// has a certificate; else the address's default certificate.
func (st *state) certificate(addr, name string) (*tls.Certificate, error) {
	if name != "" {
		if srv := st.table.Server(addr, []byte(name)); srv != nil {
			if c := st.certs[srv]; c != nil {
				return c, nil
			}
		}
	}
	if c := st.defCert[addr]; c != nil {
		return c, nil
	}
	return nil, errNoCertificate
}

// loadCertificates reads the certificate and key of every server that has
// them (a pair shared by several servers is read once).
func loadCertificates(cfg *config.Config) (map[*config.Server]*tls.Certificate, error) {
	type pair struct{ cert, key string }
	loaded := make(map[pair]*tls.Certificate)
	certs := make(map[*config.Server]*tls.Certificate)
	for _, srv := range cfg.Servers {
		if srv.SSLCertificate == "" || srv.SSLCertificateKey == "" {
			continue
		}
		p := pair{srv.SSLCertificate, srv.SSLCertificateKey}
		cert := loaded[p]
		if cert == nil {
			c, err := tls.LoadX509KeyPair(p.cert, p.key)
			if err != nil {
				return nil, fmt.Errorf("%s: ssl_certificate %q, ssl_certificate_key %q: %w", srv.Pos, p.cert, p.key, err)
			}
			cert = &c
			loaded[p] = cert
		}
		certs[srv] = cert
	}
	return certs, nil
}

// CheckCertificates loads every certificate pair of cfg as Listen and
// Reload would, and returns the first error (for `webserv -t`, which
// checks what nginx -t checks).
func CheckCertificates(cfg *config.Config) error {
	_, err := loadCertificates(cfg)
	return err
}
