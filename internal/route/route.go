package route

import "webserv/internal/config"

// Table selects virtual servers. It is built once per configuration and is
// read-only afterwards (safe for concurrent use).
type Table struct {
	// TODO(helper)
}

// New builds the table for cfg.
func New(cfg *config.Config) *Table { panic("not implemented") }

// Server returns the server for a request that arrived on the listener for
// addr (a config.Listen.Addr value) carrying the Host value host (may be
// nil/empty for HTTP/1.0).
func (t *Table) Server(addr string, host []byte) *config.Server { panic("not implemented") }

// Location returns the location of s that serves the clean path: an exact
// (`=`) match first, else the longest prefix that matches at a segment
// boundary, else s.Default.
func Location(s *config.Server, path string) *config.Location { panic("not implemented") }

// CleanPath percent-decodes a raw request path and removes dot segments.
func CleanPath(raw []byte) (string, error) { panic("not implemented") }

// FilePath maps a clean path to a file system path under loc's root or alias.
func FilePath(loc *config.Location, path string) string { panic("not implemented") }
