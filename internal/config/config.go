package config

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Pos is a position in a configuration file. Line and Col are 1-based;
// Col counts bytes.
type Pos struct {
	File string
	Line int
	Col  int
}

func (p Pos) String() string { return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col) }

// Error is a configuration error. Its message always starts with the
// position, "FILE:LINE:COL: message", so that it can be printed as is.
type Error struct {
	Pos Pos
	Msg string
}

func (e *Error) Error() string { return e.Pos.String() + ": " + e.Msg }

// ErrorList is every error of one load, in file order: -t and startup
// show them all, so that one run finds every mistake. Load and Parse
// return a lone error as its *Error and two or more as an ErrorList;
// errors.As finds the first *Error either way.
type ErrorList []*Error

// Error is one "FILE:LINE:COL: message" line per error.
func (l ErrorList) Error() string {
	var b strings.Builder
	for i, e := range l {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// Unwrap lets errors.Is and errors.As see each error.
func (l ErrorList) Unwrap() []error {
	errs := make([]error, len(l))
	for i, e := range l {
		errs[i] = e
	}
	return errs
}

// err is nil for no errors, the *Error for one, else the list.
func (l ErrorList) err() error {
	switch len(l) {
	case 0:
		return nil
	case 1:
		return l[0]
	}
	return l
}

// Warning is a directive that loaded but does nothing in webserv (an
// nginx.conf's `sendfile on;`). -t prints each before "configuration ok";
// startup logs each at warn.
type Warning struct {
	Pos Pos
	Msg string
}

func (w Warning) String() string { return w.Pos.String() + ": " + w.Msg }

// Config is a fully parsed, validated and inherited configuration. It is
// immutable once returned by Load or Parse: the server swaps whole values on
// reload and never mutates one that is serving.
type Config struct {
	File string // the main configuration file ("" never happens; embedded uses a name)

	Servers []*Server // declaration order; at least one

	MaxConnections  int           // max_connections, default 10000
	ShutdownTimeout time.Duration // shutdown_timeout, default 30s
	ErrorLog        string        // error_log path; "stderr" default
	ErrorLogLevel   string        // debug|info|warn|error, default info
	CGIMaxProcesses int           // cgi_max_processes; 0 (default): sized by the server from CPUs and the descriptor limit
	// OpenFileLimit (worker_rlimit_nofile) is set at startup; 0 leaves
	// the limit as the process got it.
	OpenFileLimit uint64

	// Warnings are the directives accepted but ignored, in file order.
	Warnings []Warning
}

// Listen is one `listen` directive.
type Listen struct {
	// Addr is the address in the form net.Listen("tcp", Addr) accepts:
	// "127.0.0.1:8080", ":8080" (from `8080` and `*:8080`), "[::1]:8080",
	// "localhost:8080".
	Addr          string
	DefaultServer bool
	SSL           bool
	ReusePort     bool
	ProxyProtocol bool
	// HTTP2 (`listen ... http2`) enables HTTP/2 on the socket, as
	// `http2 on;` does for the server.
	HTTP2 bool
	Pos   Pos
}

// Server is one `server { }` block with main-level defaults applied.
type Server struct {
	Pos     Pos
	Listens []Listen // at least one
	// Names are the server_name values, lowercased, in declaration order:
	// exact names ("example.com") and leading wildcards ("*.example.com").
	// Empty when no server_name was given (nginx's default is "").
	Names []string

	// Locations in declaration order; every one has the server's settings
	// inherited and its own applied.
	Locations []*Location
	// Default carries the server-level settings and serves requests that no
	// location matches (nginx serves such requests from the server's root).
	// Its Path is "" and Exact is false.
	Default             *Location
	ClientHeaderTimeout time.Duration // default 10s
	KeepaliveTimeout    time.Duration // default 75s; 0 disables keep-alive
	KeepaliveRequests   int           // default 1000
	SendTimeout         time.Duration // default 60s
	ClientMaxURILength  int64         // default 8k
	ClientMaxHeaderSize int64         // default 32k

	AccessLog       string // path, "stderr", or "" for off
	AccessLogFormat string // "combined" (default) or "json"
	AccessLogPos    Pos    // the access_log path's position, for errors opening it
	// LogFormat is the log_format AccessLogFormat names, or nil for
	// "combined" and "json".
	LogFormat *LogFormat

	// ServerTokens (server_tokens on) shows the version in the Server
	// header; default off: "Server: webserv".
	ServerTokens bool

	// HTTP2 is `http2 on|off;`: unset, HTTP/2 is offered through ALPN on
	// ssl listeners and not on plain ones; on, also with prior knowledge
	// (h2c) on plain listeners; off, on neither.
	HTTP2 HTTP2Mode
	// HTTP2MaxStreams is http2_max_concurrent_streams (0: the default).
	HTTP2MaxStreams int

	// TLS versions (ssl_protocols): 0 leaves Go's choice (TLS 1.2
	// and 1.3).
	TLSMinVersion, TLSMaxVersion uint16
	// TLSCipherSuites (ssl_ciphers) are the TLS 1.2 suite IDs enabled
	// (Go's server ignores their order); nil: Go's default.
	TLSCipherSuites []uint16

	SSLCertificate    string // absolute path or ""
	SSLCertificateKey string // absolute path or ""
}

// Location is one `location` block (or a server's Default) with main and
// server settings inherited, innermost winning.
type Location struct {
	Pos   Pos
	Path  string // "/img" for `location /img`, "/exact" for `location = /exact`
	Exact bool

	Root      string // absolute path; default "<confdir>/html"
	Alias     string // absolute path or ""; only in a location
	AliasFile bool   // Alias names a regular file, not a directory
	// ScriptExts are the extensions of every `cgi` directive of the
	// configuration (any server, any level, each once, in lower case),
	// shared read-only by every location: a file whose name ends in one
	// (compared case-insensitively) could be run by some location, so it
	// is never sent, whichever location reaches it, nor stored by an
	// upload (SPEC §5).
	ScriptExts  []string
	Index       []string       // default ["index.html"]
	Autoindex   bool           // default false
	ErrorPages  map[int]string // status -> URI (or absolute URL); nil if none
	MaxBodySize int64          // client_max_body_size, default 1m; 0 = unlimited
	Methods     []string       // default ["GET", "HEAD", "OPTIONS"]; upper case, each once
	Return      *Return        // nil unless `return` given
	UploadStore string         // absolute path or ""
	CGI         []CGI          // in declaration order
	CGITimeout  time.Duration  // default 60s
	BodyTimeout time.Duration  // client_body_timeout, default 60s
	AddHeaders  []Header       // add_header, in order (inherited list replaced, as in nginx, when a level declares its own)
	DefaultType string         // default "application/octet-stream"
	// Types maps extensions (".html", lower case) to media types, from
	// `types { }`; nil means the built-in table. Read-only: Locations
	// may share one map.
	Types map[string]string
	// DisableSymlinks (default true): a symlink whose target lies outside
	// the root is not followed.
	DisableSymlinks bool
	Status          bool // `status;` — this location reports counters
	// UploadSandbox (upload_sandbox, default true): GET and HEAD answers
	// of a location with an UploadStore carry "Content-Security-Policy:
	// sandbox" and "X-Content-Type-Options: nosniff".
	UploadSandbox bool
	// Compress is the response compression (gzip, compress, ...: compress.go).
	Compress Compress

	// nginx forms (SPEC §2a; vars.go, regex.go, tryfiles.go).

	// Regex is set for `location ~ RE` and `location ~* RE` (Path is RE
	// as written; ~* compiles it case-insensitively).
	Regex *regexp.Regexp
	// NoRegex is `location ^~ /prefix`: when it is the longest prefix,
	// regex locations are not tried.
	NoRegex bool
	// Named is `location @name` (Path is "@name"): reached only by
	// try_files and error_page, never by a request's URI.
	Named bool
	// Captures is set when the location's directives name $1...$9: route
	// then reports the regex's submatches (which costs an allocation in
	// Go's regexp; locations without captures match allocation-free).
	Captures bool
	// AliasTmpl is the alias when it holds variables (a regex location's
	// `alias /srv/$1`); Alias then holds its text, for messages.
	AliasTmpl *Template
	// ErrorPageTmpls holds the error_page URIs that have variables, by
	// status; ErrorPages holds their text as written.
	ErrorPageTmpls map[int]*Template
	TryFiles       *TryFiles // nil unless `try_files` given
	// AccessLogOff (`access_log off;` in a location): the server's access
	// log leaves out the requests this location answers.
	AccessLogOff bool
}

// TryFiles is `try_files FILE ... (URI | =CODE);`.
type TryFiles struct {
	Files []*Template // each checked under the root or alias; a trailing "/" tests a directory
	// Either Code is a status (=404), or Fallback is a URI (internal
	// redirect, possibly "@name" and possibly with "?args").
	Code     int
	Fallback *Template
}

// LogFormat is one `log_format NAME [escape=E] TEXT...;` directive.
type LogFormat struct {
	Name   string
	Escape string // "default", "json" or "none"
	Text   string // the TEXT arguments joined, as nginx joins them
}

// Return is a `return CODE [URL|TEXT];` directive.
type Return struct {
	Code int
	// Text is the URL for 301/302/303/307/308, otherwise the body text
	// (possibly empty).
	Text string
	Tmpl *Template // Text compiled, when it holds variables; else nil
}

// CGI is one `cgi EXT [INTERPRETER];` directive.
type CGI struct {
	Ext         string // with the leading dot: ".php"
	Interpreter string // "" = execute the script itself
}

// Header is one `add_header NAME VALUE;` directive.
type Header struct {
	Name  string
	Value string
	Tmpl  *Template // Value compiled, when it holds variables; else nil
}

// Allows reports whether method is in the location's `methods` list.
func (l *Location) Allows(method string) bool {
	for _, m := range l.Methods {
		if m == method {
			return true
		}
	}
	return false
}
