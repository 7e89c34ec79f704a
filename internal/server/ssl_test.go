package server_test

import (
	"crypto/tls"
	"net"
	"testing"

	"webserv/internal/servertest"
)

// TestSSLProtocolsCiphers: ssl_protocols sets the versions and ssl_ciphers
// the TLS 1.2 suites of the server that SNI names; a server without them
// keeps Go's defaults on the same port.
func TestSSLProtocolsCiphers(t *testing.T) {
	t.Parallel()
	ca := newCA(t)
	aCert, aKey := ca.issue(t, 10, "a.test")
	bCert, bKey := ca.issue(t, 20, "b.test")
	cCert, cKey := ca.issue(t, 30, "c.test")
	dCert, dKey := ca.issue(t, 40, "d.test")
	s := servertest.Start(t, `
server {
    listen 127.0.0.1:$PORT0 ssl default_server;
    server_name a.test;
    ssl_certificate a.crt;
    ssl_certificate_key a.key;
    location / { return 200 "a\n"; }
}
server {
    listen 127.0.0.1:$PORT0 ssl;
    server_name b.test;
    ssl_certificate b.crt;
    ssl_certificate_key b.key;
    ssl_protocols TLSv1.3;
    location / { return 200 "b\n"; }
}
server {
    listen 127.0.0.1:$PORT0 ssl;
    server_name c.test;
    ssl_certificate c.crt;
    ssl_certificate_key c.key;
    ssl_protocols TLSv1.2;
    ssl_ciphers ECDHE-ECDSA-AES256-GCM-SHA384:!aNULL;
    location / { return 200 "c\n"; }
}
server {
    listen 127.0.0.1:$PORT0 ssl;
    server_name d.test;
    ssl_certificate d.crt;
    ssl_certificate_key d.key;
    ssl_ciphers ECDHE-ECDSA-AES128-SHA:HIGH;
    location / { return 200 "d\n"; }
}
`, 1, map[string]string{
		"a.crt": string(aCert), "a.key": string(aKey),
		"b.crt": string(bCert), "b.key": string(bKey),
		"c.crt": string(cCert), "c.key": string(cKey),
		"d.crt": string(dCert), "d.key": string(dKey),
	})
	dial := func(name string, max uint16, suites []uint16) (tls.ConnectionState, error) {
		c, err := tls.DialWithDialer(&net.Dialer{Timeout: servertest.IOTimeout}, "tcp", s.Addrs[0],
			&tls.Config{ServerName: name, InsecureSkipVerify: true, MaxVersion: max, CipherSuites: suites})
		if err != nil {
			return tls.ConnectionState{}, err
		}
		defer c.Close()
		return c.ConnectionState(), nil
	}
	for _, tt := range []struct {
		name    string
		max     uint16
		ok      bool
		version uint16
		suite   uint16 // 0: any
		offer   []uint16
	}{
		{"a.test", tls.VersionTLS12, true, tls.VersionTLS12, 0, nil},
		{"a.test", 0, true, tls.VersionTLS13, 0, nil},
		{"b.test", tls.VersionTLS12, false, 0, 0, nil}, // TLS 1.3 only
		{"b.test", 0, true, tls.VersionTLS13, 0, nil},
		{"c.test", 0, true, tls.VersionTLS12, tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, nil}, // at most 1.2, its one suite
		{"c.test", 0, false, 0, 0, []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}},
		// HIGH keeps the GCM suites beside the CBC one named.
		{"d.test", tls.VersionTLS12, true, tls.VersionTLS12, tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}},
	} {
		st, err := dial(tt.name, tt.max, tt.offer)
		if (err == nil) != tt.ok {
			t.Errorf("%s max %x: err %v, want ok=%v", tt.name, tt.max, err, tt.ok)
			continue
		}
		if err != nil {
			continue
		}
		if st.Version != tt.version || tt.suite != 0 && st.CipherSuite != tt.suite {
			t.Errorf("%s max %x: version %x suite %x, want %x %x", tt.name, tt.max, st.Version, st.CipherSuite, tt.version, tt.suite)
		}
	}
}
