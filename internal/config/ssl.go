package config

import (
	"crypto/tls"
	"slices"
	"strings"
)

// ssl_protocols and ssl_ciphers, as nginx spells them, mapped onto Go's
// crypto/tls: a version range and a list of TLS 1.2 cipher suites.

func init() {
	directives["ssl_protocols"] = directive{ctx: ctxMS, min: 1, max: -1, fn: sslProtocols}
	directives["ssl_ciphers"] = directive{ctx: ctxMS, min: 1, max: 1, fn: sslCiphers}
}

// sslProtocols: the lowest and highest versions listed become the range.
// TLSv1 and TLSv1.1 are left out with a warning: RFC 8996 deprecates them
// and Go's server refuses them by default (Debian's stock nginx.conf still
// lists them).
func sslProtocols(p *parser, lv *level, st *stmt) error {
	var lo, hi uint16
	var skipped []string
	var skipPos Pos
	for _, a := range st.args {
		var v uint16
		switch a.text {
		case "TLSv1.2":
			v = tls.VersionTLS12
		case "TLSv1.3":
			v = tls.VersionTLS13
		case "SSLv2", "SSLv3", "TLSv1", "TLSv1.1":
			if skipped == nil {
				skipPos = a.pos
			}
			skipped = append(skipped, a.text)
			continue
		default:
			return invalidMust(a, st, `"TLSv1.2" or "TLSv1.3"`)
		}
		if lo == 0 || v < lo {
			lo = v
		}
		if v > hi {
			hi = v
		}
	}
	if lo == 0 {
		return errorf(st.name.pos, `"ssl_protocols" enables no version webserv serves: list "TLSv1.2" or "TLSv1.3"`)
	}
	if skipped != nil {
		p.warn(skipPos, "`ssl_protocols %s` is ignored: RFC 8996 deprecates SSL, TLS 1.0 and 1.1; webserv serves TLS 1.2 and 1.3", strings.Join(skipped, " "))
	}
	lv.srv = append(lv.srv, func(s *Server) { s.TLSMinVersion, s.TLSMaxVersion = lo, hi })
	return nil
}

// openSSLSuites maps OpenSSL's names of the TLS 1.2 suites Go implements
// and considers secure to Go's (IANA) names.
var openSSLSuites = map[string]string{
	"ECDHE-ECDSA-AES128-GCM-SHA256": "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
	"ECDHE-RSA-AES128-GCM-SHA256":   "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
	"ECDHE-ECDSA-AES256-GCM-SHA384": "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
	"ECDHE-RSA-AES256-GCM-SHA384":   "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
	"ECDHE-ECDSA-CHACHA20-POLY1305": "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
	"ECDHE-RSA-CHACHA20-POLY1305":   "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
	"ECDHE-ECDSA-AES128-SHA":        "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
	"ECDHE-RSA-AES128-SHA":          "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
	"ECDHE-ECDSA-AES256-SHA":        "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
	"ECDHE-RSA-AES256-SHA":          "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
	"AES128-GCM-SHA256":             "TLS_RSA_WITH_AES_128_GCM_SHA256",
	"AES256-GCM-SHA384":             "TLS_RSA_WITH_AES_256_GCM_SHA384",
	"AES128-SHA":                    "TLS_RSA_WITH_AES_128_CBC_SHA",
	"AES256-SHA":                    "TLS_RSA_WITH_AES_256_CBC_SHA",
}

// sslCiphers takes an OpenSSL cipher list ("A:B:C"). Its items are
// suite names, keywords that stand for sets of suites (HIGH, DEFAULT,
// EECDH+AESGCM, ...), exclusions ("!aNULL", "-x") and ordering commands
// ("+x", "@STRENGTH"). The suites are the union of what the names and
// keywords select, minus the exclusions, as in OpenSSL:
//
//   - a name of a TLS 1.2 suite Go implements as secure selects it;
//   - any keyword selects Go's default suites: all of them are in
//     OpenSSL's HIGH, and a keyword must never narrow the list to the
//     suites named beside it ("ECDHE-RSA-AES128-SHA:HIGH" keeps the GCM
//     and ChaCha20 suites);
//   - "!NAME" and "-NAME" of a suite remove it; other exclusions
//     ("!aNULL", "!MD5") name suites Go does not offer anyway;
//   - ordering is left out: Go's server ignores the order of
//     tls.Config.CipherSuites and picks by client and hardware.
//
// Any other name — a TLS 1.3 suite (Go does not let one choose them), a
// suite Go lacks or considers insecure — is ignored with one warning; a
// list that selects nothing leaves Go's default.
func sslCiphers(p *parser, lv *level, st *stmt) error {
	a := st.args[0]
	ids := map[string]uint16{}
	for _, cs := range tls.CipherSuites() {
		ids[cs.Name] = cs.ID
	}
	var named, excluded []uint16
	var skipped []string
	keyword := false
	for _, name := range strings.FieldsFunc(a.text, func(r rune) bool { return r == ':' || r == ',' || r == ' ' }) {
		switch {
		case name[0] == '!' || name[0] == '-':
			if id, ok := ids[openSSLSuites[name[1:]]]; ok {
				excluded = append(excluded, id)
			}
			continue
		case name[0] == '+' || name[0] == '@':
			continue
		}
		if id, ok := ids[openSSLSuites[name]]; ok {
			named = append(named, id)
			continue
		}
		if isCipherKeyword(name) {
			keyword = true
			continue
		}
		skipped = append(skipped, name)
	}
	var suites []uint16
	if keyword {
		suites = goDefaultSuites()
	}
	for _, id := range named {
		if !slices.Contains(suites, id) {
			suites = append(suites, id)
		}
	}
	suites = slices.DeleteFunc(suites, func(id uint16) bool { return slices.Contains(excluded, id) })
	switch {
	case len(suites) == 0:
		p.warn(a.pos, "`ssl_ciphers %s` is ignored: it names none of Go's secure TLS 1.2 suites by its OpenSSL name; Go's default suites are used", a.text)
		lv.srv = append(lv.srv, func(s *Server) { s.TLSCipherSuites = nil })
		return nil
	case len(skipped) > 0:
		p.warn(a.pos, "`ssl_ciphers`: %s ignored (not a TLS 1.2 suite Go implements as secure)", strings.Join(skipped, ":"))
	}
	if keyword && len(excluded) == 0 && len(suites) == len(goDefaultSuites()) {
		// Exactly Go's default: leave it to Go, which updates it.
		suites = nil
	}
	lv.srv = append(lv.srv, func(s *Server) { s.TLSCipherSuites = slices.Clone(suites) })
	return nil
}

// isCipherKeyword reports whether an item of an OpenSSL cipher list is a
// keyword (HIGH, DEFAULT, AESGCM, kEECDH+AESGCM, SECLEVEL=2) rather than
// a suite name: suite names have "-" (ECDHE-RSA-AES128-SHA) or "_"
// (TLS_AES_128_GCM_SHA256), keywords neither.
func isCipherKeyword(name string) bool {
	return !strings.ContainsAny(name, "-_")
}

// goDefaultSuites are the TLS 1.2 suites Go's server offers when
// tls.Config.CipherSuites is nil (crypto/tls defaults.go, Go 1.26):
// tls.CipherSuites without those using RSA key exchange (removed from
// the default in Go 1.22) and the CBC-SHA256 ones.
func goDefaultSuites() []uint16 {
	var ids []uint16
	for _, cs := range tls.CipherSuites() {
		if !slices.Contains(cs.SupportedVersions, tls.VersionTLS12) ||
			strings.HasPrefix(cs.Name, "TLS_RSA_") || strings.HasSuffix(cs.Name, "_CBC_SHA256") {
			continue
		}
		ids = append(ids, cs.ID)
	}
	return ids
}
