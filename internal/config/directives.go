package config

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// directive describes one configuration directive: where it may appear,
// whether it takes a block, how many arguments it takes, and the function
// that checks its values and records them on the level.
type directive struct {
	ctx    context
	block  bool
	min    int
	max    int // -1: no upper bound
	repeat bool
	same   string // counts as this directive for duplicate checks (upload_path)
	// blockOpt: a block may follow or not, fn decides (limit_except, and
	// the refused directives, so that `if (...) { }` gets its hint).
	blockOpt bool
	fn       func(p *parser, lv *level, st *stmt) error
}

const (
	ctxAny = ctxMain | ctxServer | ctxLocation
	ctxMS  = ctxMain | ctxServer
	ctxSL  = ctxServer | ctxLocation
)

// directives is the table of SPEC §2; docs/configuration.md describes each.
var directives map[string]directive

// The table refers to functions that consult it (include, server,
// location), so it is filled in init to avoid an initialization cycle.
func init() {
	directives = map[string]directive{
		"include":  {ctx: ctxAny, min: 1, max: 1, repeat: true, fn: (*parser).include},
		"http":     {ctx: ctxMain, block: true, fn: httpBlock},
		"server":   {ctx: ctxMain, block: true, repeat: true, fn: serverDirective},
		"location": {ctx: ctxServer, block: true, min: 1, max: 2, repeat: true, fn: locationDirective},

		"listen":              {ctx: ctxServer, min: 1, max: 5, repeat: true, fn: listenDirective},
		"server_name":         {ctx: ctxServer, min: 1, max: -1, repeat: true, fn: serverNameDirective},
		"ssl_certificate":     {ctx: ctxServer, min: 1, max: 1, fn: sslFile(func(s *Server, p string) { s.SSLCertificate = p })},
		"ssl_certificate_key": {ctx: ctxServer, min: 1, max: 1, fn: sslFile(func(s *Server, p string) { s.SSLCertificateKey = p })},

		"root":                 {ctx: ctxAny, min: 1, max: 1, fn: rootDirective},
		"alias":                {ctx: ctxLocation, min: 1, max: 1, fn: aliasDirective},
		"index":                {ctx: ctxAny, min: 1, max: -1, fn: indexDirective},
		"autoindex":            {ctx: ctxAny, min: 1, max: 1, fn: locFlag(func(l *Location, v bool) { l.Autoindex = v })},
		"disable_symlinks":     {ctx: ctxAny, min: 1, max: 1, fn: locFlag(func(l *Location, v bool) { l.DisableSymlinks = v })},
		"error_page":           {ctx: ctxAny, min: 2, max: -1, repeat: true, fn: errorPageDirective},
		"client_max_body_size": {ctx: ctxAny, min: 1, max: 1, fn: maxBodySize},
		"methods":              {ctx: ctxSL, min: 1, max: -1, fn: methodsDirective},
		"return":               {ctx: ctxSL, min: 1, max: 2, fn: returnDirective},
		"upload_store":         {ctx: ctxSL, min: 1, max: 1, fn: uploadStore},
		"upload_path":          {ctx: ctxSL, min: 1, max: 1, same: "upload_store", fn: uploadStore},
		"upload_sandbox":       {ctx: ctxSL, min: 1, max: 1, fn: locFlag(func(l *Location, v bool) { l.UploadSandbox = v })},
		"cgi":                  {ctx: ctxAny, min: 1, max: 2, repeat: true, fn: cgiDirective},
		"cgi_timeout":          {ctx: ctxAny, min: 1, max: 1, fn: locDuration(func(l *Location, d time.Duration) { l.CGITimeout = d })},
		"client_body_timeout":  {ctx: ctxAny, min: 1, max: 1, fn: locDuration(func(l *Location, d time.Duration) { l.BodyTimeout = d })},
		"add_header":           {ctx: ctxAny, min: 2, max: 2, repeat: true, fn: addHeaderDirective},
		"default_type":         {ctx: ctxAny, min: 1, max: 1, fn: defaultTypeDirective},
		"status":               {ctx: ctxLocation, fn: statusDirective},

		"client_header_timeout":  {ctx: ctxMS, min: 1, max: 1, fn: srvDuration(false, func(s *Server, d time.Duration) { s.ClientHeaderTimeout = d })},
		"keepalive_timeout":      {ctx: ctxMS, min: 1, max: 1, fn: srvDuration(true, func(s *Server, d time.Duration) { s.KeepaliveTimeout = d })},
		"send_timeout":           {ctx: ctxMS, min: 1, max: 1, fn: srvDuration(false, func(s *Server, d time.Duration) { s.SendTimeout = d })},
		"keepalive_requests":     {ctx: ctxMS, min: 1, max: 1, fn: keepaliveRequests},
		"client_max_uri_length":  {ctx: ctxMS, min: 1, max: 1, fn: srvSize(func(s *Server, n int64) { s.ClientMaxURILength = n })},
		"client_max_header_size": {ctx: ctxMS, min: 1, max: 1, fn: srvSize(func(s *Server, n int64) { s.ClientMaxHeaderSize = n })},
		"access_log":             {ctx: ctxAny, min: 1, max: 2, fn: accessLogDirective},

		"max_connections":  {ctx: ctxMain, min: 1, max: 1, fn: maxConnections},
		"shutdown_timeout": {ctx: ctxMain, min: 1, max: 1, fn: shutdownTimeout},
		"error_log":        {ctx: ctxMain, min: 1, max: 2, fn: errorLogDirective},

		// A process-wide bound: what it protects (descriptors, memory,
		// process slots) belongs to the process, not to one server block.
		"cgi_max_processes": {ctx: ctxMain, min: 1, max: 1, fn: cgiMaxProcesses},
	}
}

// Limits on values.
const (
	// minLimit is the smallest client_max_uri_length and
	// client_max_header_size: below it ordinary requests would fail.
	minLimit = 256
	// maxCount bounds plain integers (keepalive_requests, max_connections).
	maxCount = math.MaxInt32
)

func invalid(arg token, st *stmt) *Error {
	return errorf(arg.pos, "invalid value %q in %q directive", arg.text, st.name.text)
}

func invalidMust(arg token, st *stmt, must string) *Error {
	return errorf(arg.pos, "invalid value %q in %q directive, it must be %s", arg.text, st.name.text, must)
}

// hasCTL reports whether s holds an ASCII control character other than
// tab; such bytes would let a value break out of a header line.
func hasCTL(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < ' ' && c != '\t') || c == 0x7f {
			return true
		}
	}
	return false
}

func isHTTPURL(s string) bool {
	return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://")
}

// --- blocks ---

func httpBlock(p *parser, lv *level, st *stmt) error {
	// The wrapper adds nothing: what it holds is main-level (SPEC §2).
	return p.statements(st.lx, lv, true, &st.name)
}

func serverDirective(p *parser, lv *level, st *stmt) error {
	sb := &serverBlock{
		level:     level{ctx: ctxServer, seen: map[string]bool{}, cgiExt: map[string]bool{}},
		pos:       st.name.pos,
		listenTok: map[string]token{},
	}
	sb.server = sb
	nerr := len(p.errs)
	if err := p.statements(st.lx, &sb.level, false, &st.name); err != nil {
		return err
	}
	if len(p.errs) > nerr {
		return nil // a wrong listen would add "no listen" to its own error
	}
	if len(sb.listens) == 0 {
		return errorf(st.name.pos, `no "listen" directive in "server" block`)
	}
	if sb.sslListen != nil {
		for _, name := range []string{"ssl_certificate", "ssl_certificate_key"} {
			if !sb.seen[name] {
				return errorf(sb.sslListen.pos, `no %q is defined for the "listen ... ssl" directive`, name)
			}
		}
	}
	p.servers = append(p.servers, sb)
	return nil
}

func locationDirective(p *parser, lv *level, st *stmt) error {
	var path token
	var mod string // "", "=", "^~", "~", "~*" or "@"
	if len(st.args) == 2 {
		m := st.args[0]
		switch m.text {
		case "=", "^~", "~", "~*":
			mod = m.text
		default:
			return errorf(m.pos, "invalid location modifier %q", m.text)
		}
		path = st.args[1]
	} else {
		// nginx also reads the modifier glued to the path: "=/p", "~\.php$",
		// "~*\.jpg$", "^~/p" and "@name".
		path = st.args[0]
		if !path.quoted {
			for _, m := range []string{"^~", "~*", "~", "=", "@"} {
				if strings.HasPrefix(path.text, m) && len(path.text) > len(m) {
					mod = m
					if m != "@" {
						path.text = path.text[len(m):]
						path.pos.Col += len(m)
					}
					break
				}
			}
		}
	}
	lb := &locationBlock{pos: st.name.pos, exact: mod == "=", noRegex: mod == "^~", named: mod == "@"}
	switch mod {
	case "~", "~*":
		re, err := compileLocationRegex(path, mod == "~*")
		if err != nil {
			return err
		}
		lb.regex = re
	case "@":
		if !validName(path.text[1:]) {
			return errorf(path.pos, "invalid named location %q", path.text)
		}
	default:
		if !strings.HasPrefix(path.text, "/") {
			return errorf(path.pos, `invalid location path %q, it must start with "/"`, path.text)
		}
	}
	if hasCTL(path.text) {
		return errorf(path.pos, "invalid location path %q", path.text)
	}
	sb := lv.server
	for _, o := range sb.locs {
		if o.exact == lb.exact && (o.regex != nil) == (lb.regex != nil) && o.path == path.text &&
			(lb.regex == nil || o.regex.String() == lb.regex.String()) {
			return errorf(path.pos, "duplicate location %q", path.text)
		}
	}
	lb.level = level{ctx: ctxLocation, seen: map[string]bool{}, server: sb, cgiExt: map[string]bool{}, locPath: path.text}
	lb.path = path.text
	if lb.regex != nil || lb.named {
		lb.locPath = "" // alias names the whole file: no directory prefix to check against
	}
	if err := p.statements(st.lx, &lb.level, false, &st.name); err != nil {
		return err
	}
	sb.locs = append(sb.locs, lb)
	return nil
}

// --- server ---

func listenDirective(p *parser, lv *level, st *stmt) error {
	a := st.args[0]
	addr, msg := parseListenAddr(a.text)
	if msg != "" {
		return errorf(a.pos, "%s in %q of the \"listen\" directive", msg, a.text)
	}
	l := Listen{Addr: addr, Pos: st.name.pos}
	for _, f := range st.args[1:] {
		switch f.text {
		case "default_server":
			l.DefaultServer = true
		case "ssl":
			l.SSL = true
		case "reuseport":
			l.ReusePort = true
		case "proxy_protocol":
			l.ProxyProtocol = true
		case "http2":
			l.HTTP2 = true // as nginx writes it before 1.25: same as `http2 on;`
		default:
			return errorf(f.pos, "invalid parameter %q", f.text)
		}
	}
	sb := lv.server
	if _, dup := sb.listenTok[addr]; dup {
		return errorf(a.pos, "duplicate listen %s", addr)
	}
	sb.listenTok[addr] = st.name
	if l.SSL && sb.sslListen == nil {
		name := st.name
		sb.sslListen = &name
	}
	sb.listens = append(sb.listens, l)
	return nil
}

// parseListenAddr turns a listen address into the net.Listen form, or
// returns what is wrong with it. A missing host listens on every address;
// a missing port is 80, as in nginx.
func parseListenAddr(s string) (addr, msg string) {
	host, port := s, ""
	switch {
	case s == "":
		return "", "no host"
	case allDigits(s):
		host, port = "", s
	case strings.HasPrefix(s, "["):
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return "", "invalid host"
		}
		host = s[1:end]
		rest := s[end+1:]
		if rest != "" {
			if rest[0] != ':' {
				return "", "invalid host"
			}
			port = rest[1:]
			if port == "" {
				return "", "invalid port"
			}
		}
		ip, err := netip.ParseAddr(host)
		if err != nil || !ip.Is6() {
			return "", "invalid host"
		}
		host = ip.String()
	default:
		if i := strings.LastIndexByte(s, ':'); i >= 0 {
			host, port = s[:i], s[i+1:]
			if port == "" {
				return "", "invalid port"
			}
		}
		if strings.ContainsRune(host, ':') {
			return "", "invalid host" // IPv6 needs brackets
		}
		if host == "*" {
			host = ""
		} else if ip, err := netip.ParseAddr(host); err == nil {
			host = ip.String()
		} else if !validHostname(host) {
			return "", "invalid host"
		} else {
			host = strings.ToLower(host)
		}
	}
	if port == "" {
		port = "80"
	}
	n, err := strconv.Atoi(port)
	if err != nil || !allDigits(port) || n < 1 || n > 65535 {
		return "", "invalid port"
	}
	if strings.ContainsRune(host, ':') {
		return "[" + host + "]:" + strconv.Itoa(n), ""
	}
	return host + ":" + strconv.Itoa(n), ""
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// validHostname accepts letters, digits, '-', '_' and '.', which covers
// DNS names, punycode and nginx's customary catch-all "_".
func validHostname(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_') {
			return false
		}
	}
	return true
}

func serverNameDirective(p *parser, lv *level, st *stmt) error {
	sb := lv.server
	add := func(name string, t token) {
		for _, n := range sb.names {
			if n == name {
				return
			}
		}
		sb.names = append(sb.names, name)
		sb.nameTok = append(sb.nameTok, t)
	}
	for _, a := range st.args {
		n := strings.ToLower(a.text)
		if len(n) > 1 {
			n = strings.TrimSuffix(n, ".") // Host values lose their trailing dot too
		}
		switch {
		case n == "":
			add("", a)
		case strings.HasPrefix(n, "~"):
			return errorf(a.pos, "regular expression server names are not supported")
		case strings.HasPrefix(n, "*."):
			if !validHostname(n[2:]) || strings.HasPrefix(n[2:], ".") {
				return errorf(a.pos, "invalid server name or wildcard %q", a.text)
			}
			add(n, a)
		case strings.HasPrefix(n, "."):
			// nginx: ".example.com" is "example.com" plus "*.example.com".
			if !validHostname(n[1:]) || strings.HasPrefix(n[1:], ".") {
				return errorf(a.pos, "invalid server name or wildcard %q", a.text)
			}
			add(n[1:], a)
			add("*"+n, a)
		default:
			if !validHostname(n) {
				return errorf(a.pos, "invalid server name or wildcard %q", a.text)
			}
			add(n, a)
		}
	}
	return nil
}

func sslFile(set func(*Server, string)) func(*parser, *level, *stmt) error {
	return func(p *parser, lv *level, st *stmt) error {
		a := st.args[0]
		if a.text == "" {
			return invalid(a, st)
		}
		path := p.abs(a.text)
		fi, err := os.Stat(path)
		switch {
		case os.IsNotExist(err):
			return errorf(a.pos, "%s %q does not exist", st.name.text, path)
		case err != nil:
			return errorf(a.pos, "%s %q: %v", st.name.text, path, unwrapPathErr(err))
		case !fi.Mode().IsRegular():
			return errorf(a.pos, "%s %q is not a regular file", st.name.text, path)
		}
		lv.srv = append(lv.srv, func(s *Server) { set(s, path) })
		return nil
	}
}

// --- files ---

// Access modes for access(2), the same on every POSIX system.
const (
	accessX = 1 // search a directory
	accessW = 2
	accessR = 4
)

// checkAccess reports whether this process may use path in mode,
// through p.access (access(2) unless a test replaced it). SPEC §1: a root
// the server cannot enter passes for valid and then answers 403 to
// everything, so load time (-t, startup, reload) says so instead.
// access(2) answers for the real uid, which is the server's: webserv does
// not change its user. For uid 0 it grants read, write and search, as
// root's opens would succeed.
func (p *parser) checkAccess(a token, st *stmt, path string, mode uint32, what string) error {
	if err := p.access(path, mode); err != nil {
		return errorf(a.pos, "%s %q is not %s: %v", st.name.text, path, what, err)
	}
	return nil
}

// dirArg resolves the directive's path argument, which must name an
// existing directory that this process can enter (search permission:
// without it no file below can be opened).
func (p *parser) dirArg(st *stmt) (string, error) {
	a := st.args[0]
	if a.text == "" {
		return "", invalid(a, st)
	}
	path := p.abs(a.text)
	fi, err := os.Stat(path)
	switch {
	case os.IsNotExist(err):
		return "", errorf(a.pos, "%s %q does not exist", st.name.text, path)
	case err != nil:
		return "", errorf(a.pos, "%s %q: %v", st.name.text, path, unwrapPathErr(err))
	case !fi.IsDir():
		return "", errorf(a.pos, "%s %q is not a directory", st.name.text, path)
	}
	return path, p.checkAccess(a, st, path, accessX, "accessible")
}

func unwrapPathErr(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

func rootDirective(p *parser, lv *level, st *stmt) error {
	if lv.seen["alias"] {
		return errorf(st.name.pos, `"root" directive is duplicate, "alias" directive was specified earlier`)
	}
	path, err := p.dirArg(st)
	if err != nil {
		return err
	}
	lv.loc = append(lv.loc, func(l *Location) { l.Root = path })
	return nil
}

func aliasDirective(p *parser, lv *level, st *stmt) error {
	if lv.seen["root"] {
		return errorf(st.name.pos, `"alias" directive is duplicate, "root" directive was specified earlier`)
	}
	a := st.args[0]
	if a.text == "" {
		return invalid(a, st)
	}
	if HasVars(a.text) {
		return aliasTemplate(p, lv, a) // tryfiles.go
	}
	path := p.abs(a.text)
	fi, err := os.Stat(path)
	switch {
	case os.IsNotExist(err):
		return errorf(a.pos, "alias %q does not exist", path)
	case err != nil:
		return errorf(a.pos, "alias %q: %v", path, unwrapPathErr(err))
	case fi.Mode().IsRegular():
		// An alias may name a file, as in nginx: `location = /favicon.ico
		// { alias /srv/icons/fav.ico; }`. In a prefix location it serves
		// the location's own path, and longer paths are 404 (the file
		// has nothing below it). A location path ending in "/" asks for
		// a directory, which a file never is: refused now rather than
		// 404 for every request.
		if strings.HasSuffix(lv.locPath, "/") {
			return errorf(a.pos, "alias %q is a file, but location %q names a directory (ends in \"/\")", path, lv.locPath)
		}
		if err := p.checkAccess(a, st, path, accessR, "readable"); err != nil {
			return err
		}
		lv.loc = append(lv.loc, func(l *Location) { l.Alias, l.AliasFile = path, true })
		return nil
	case !fi.IsDir():
		return errorf(a.pos, "alias %q is neither a directory nor a regular file", path)
	}
	if err := p.checkAccess(a, st, path, accessX, "accessible"); err != nil {
		return err
	}
	lv.loc = append(lv.loc, func(l *Location) { l.Alias = path })
	return nil
}

func uploadStore(p *parser, lv *level, st *stmt) error {
	if lv.ctx == ctxLocation && lv.locPath == "" {
		// Stored files' URLs are built from the location's prefix, which
		// a regex or named location does not have.
		return errorf(st.name.pos, "%q is not allowed in a regular expression or named location", st.name.text)
	}
	path, err := p.dirArg(st)
	if err != nil {
		return err
	}
	// Storing a file creates one in the directory.
	if err := p.checkAccess(st.args[0], st, path, accessW|accessX, "writable"); err != nil {
		return err
	}
	lv.upload = true
	lv.loc = append(lv.loc, func(l *Location) { l.UploadStore = path })
	return nil
}

// logPath resolves a log file path and checks now what opening it for
// appending at startup needs, so that -t finds a log the server could not
// open (SPEC §1): an existing file must be writable and not a directory;
// a new one needs a writable directory. The file is not created here: -t
// changes nothing on disk.
func (p *parser) logPath(a token, st *stmt) (string, error) {
	if a.text == "" {
		return "", invalid(a, st)
	}
	path := p.abs(a.text)
	fi, err := os.Stat(path)
	switch {
	case err == nil && fi.IsDir():
		return "", errorf(a.pos, "%s %q is a directory", st.name.text, path)
	case err == nil:
		return path, p.checkAccess(a, st, path, accessW, "writable")
	case errors.Is(err, fs.ErrPermission):
		return "", errorf(a.pos, "%s %q: %v", st.name.text, path, unwrapPathErr(err))
	}
	dir := filepath.Dir(path)
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return "", errorf(a.pos, "%s %q: directory %q does not exist", st.name.text, path, dir)
	}
	if err := p.access(dir, accessW|accessX); err != nil {
		return "", errorf(a.pos, "%s %q cannot be created: directory %q is not writable: %v", st.name.text, path, dir, err)
	}
	return path, nil
}

func accessLogDirective(p *parser, lv *level, st *stmt) error {
	a := st.args[0]
	if a.text == "off" {
		if len(st.args) > 1 {
			return errorf(st.args[1].pos, `invalid parameter %q after "off"`, st.args[1].text)
		}
		if lv.ctx == ctxLocation {
			// `location = /favicon.ico { access_log off; }`: the
			// server's log skips the requests this location answers.
			lv.loc = append(lv.loc, func(l *Location) { l.AccessLogOff = true })
			return nil
		}
		lv.srv = append(lv.srv, func(s *Server) { s.AccessLog, s.AccessLogFormat, s.LogFormat = "", "combined", nil })
		return nil
	}
	if lv.ctx == ctxLocation {
		return errorf(a.pos, `a location's "access_log" can only be "off": the log file and format are the server's`)
	}
	// "stderr" is the standard error stream, as for error_log (the
	// embedded demo logs there), not a file beside the configuration.
	path := "stderr"
	if a.text != "stderr" {
		var err error
		if path, err = p.logPath(a, st); err != nil {
			return err
		}
	}
	format := "combined"
	var lf *LogFormat
	if len(st.args) > 1 {
		f := st.args[1]
		lf = p.logFormats[f.text]
		if f.text != "combined" && f.text != "json" && lf == nil {
			return invalidMust(f, st, `"combined", "json" or the name of a "log_format" given before it`)
		}
		format = f.text
	}
	lv.srv = append(lv.srv, func(s *Server) {
		s.AccessLog, s.AccessLogFormat, s.AccessLogPos, s.LogFormat = path, format, a.pos, lf
	})
	return nil
}

func errorLogDirective(p *parser, lv *level, st *stmt) error {
	path := "stderr"
	if a := st.args[0]; a.text != "stderr" {
		var err error
		if path, err = p.logPath(a, st); err != nil {
			return err
		}
	}
	lvl := "info"
	if len(st.args) > 1 {
		f := st.args[1]
		switch f.text {
		case "debug", "info", "warn", "error":
			lvl = f.text
		default:
			return invalidMust(f, st, `"debug", "info", "warn" or "error"`)
		}
	}
	lv.cfg = append(lv.cfg, func(c *Config) { c.ErrorLog, c.ErrorLogLevel = path, lvl })
	return nil
}

// --- location settings ---

// onOff reads a directive's single "on" or "off".
func onOff(st *stmt) (bool, error) {
	switch a := st.args[0]; a.text {
	case "on":
		return true, nil
	case "off":
		return false, nil
	default:
		return false, invalidMust(a, st, `"on" or "off"`)
	}
}

// locFlag is an on|off directive setting a location.
func locFlag(set func(*Location, bool)) func(*parser, *level, *stmt) error {
	return func(p *parser, lv *level, st *stmt) error {
		v, err := onOff(st)
		if err != nil {
			return err
		}
		lv.loc = append(lv.loc, func(l *Location) { set(l, v) })
		return nil
	}
}

// srvFlag is an on|off directive setting the server as a whole.
func srvFlag(set func(*Server, bool)) func(*parser, *level, *stmt) error {
	return func(p *parser, lv *level, st *stmt) error {
		v, err := onOff(st)
		if err != nil {
			return err
		}
		lv.srv = append(lv.srv, func(s *Server) { set(s, v) })
		return nil
	}
}

func indexDirective(p *parser, lv *level, st *stmt) error {
	var names []string
	for _, a := range st.args {
		if a.text == "" || hasCTL(a.text) {
			return invalid(a, st)
		}
		names = append(names, a.text)
	}
	lv.loc = append(lv.loc, func(l *Location) { l.Index = append([]string(nil), names...) })
	return nil
}

func errorPageDirective(p *parser, lv *level, st *stmt) error {
	last := st.args[len(st.args)-1]
	if !(strings.HasPrefix(last.text, "/") || strings.HasPrefix(last.text, "@") || strings.HasPrefix(last.text, "$") || isHTTPURL(last.text)) || hasCTL(last.text) {
		return errorf(last.pos, "%s%s", invalidMust(last, st, `a URI starting with "/", a named location "@name" or an http(s):// URL`).Msg, errorPageHint(last.text))
	}
	tmpl, err := argTemplate(last)
	if err != nil {
		return err
	}
	if strings.HasPrefix(last.text, "@") {
		lv.namedRefs = append(lv.namedRefs, namedRef{last.text, last.pos})
	}
	var codes []int
	for _, a := range st.args[:len(st.args)-1] {
		if strings.HasPrefix(a.text, "=") {
			return errorPageEquals(a, st)
		}
		n, err := strconv.Atoi(a.text)
		if err != nil || !allDigits(a.text) || n < 300 || n > 599 {
			return errorf(a.pos, "value %q must be between 300 and 599", a.text)
		}
		codes = append(codes, n)
	}
	first, uri := st.first, last.text
	lv.loc = append(lv.loc, func(l *Location) {
		if first || l.ErrorPages == nil { // a level's own list replaces the inherited one
			l.ErrorPages = map[int]string{}
		}
		if first {
			l.ErrorPageTmpls = nil
		}
		for _, c := range codes {
			l.ErrorPages[c] = uri
			if tmpl != nil {
				if l.ErrorPageTmpls == nil {
					l.ErrorPageTmpls = map[int]*Template{}
				}
				l.ErrorPageTmpls[c] = tmpl
			} else {
				delete(l.ErrorPageTmpls, c)
			}
		}
	})
	return nil
}

// errorPageEquals is the error for nginx's `error_page 404 =200 /x;` and
// `error_page 404 = @name;`, which change the response's status: webserv
// answers with the error's status, and says how to write the directive.
func errorPageEquals(a token, st *stmt) error {
	var codes []string
	for _, c := range st.args[:len(st.args)-1] {
		if !strings.HasPrefix(c.text, "=") {
			codes = append(codes, c.text)
		}
	}
	form := `"=CODE" form of "error_page" (answer with another status)`
	if a.text == "=" {
		form = `"=" form of "error_page" (answer with the page's status)`
	}
	return errorf(a.pos, "the %s is not supported; the page is sent with the error's status: write \"error_page %s %s;\"", form, strings.Join(codes, " "), st.args[len(st.args)-1].text)
}

func maxBodySize(p *parser, lv *level, st *stmt) error {
	n, err := sizeArg(st, 0)
	if err != nil {
		return err
	}
	lv.loc = append(lv.loc, func(l *Location) { l.MaxBodySize = n })
	return nil
}

// knownMethods are the methods `methods` accepts (SPEC §2), upper case as
// method names are case-sensitive (RFC 9110 §9.1).
var knownMethods = map[string]bool{"GET": true, "HEAD": true, "POST": true, "PUT": true, "DELETE": true, "OPTIONS": true, "PATCH": true}

func methodsDirective(p *parser, lv *level, st *stmt) error {
	var ms []string
	seen := map[string]bool{}
	for _, a := range st.args {
		if !knownMethods[a.text] {
			return errorf(a.pos, "unknown method %q%s", a.text, methodHint(a.text))
		}
		if seen[a.text] {
			continue
		}
		seen[a.text] = true
		ms = append(ms, a.text)
		// A server that answers GET must answer HEAD (RFC 9110 §9.3.2).
		if a.text == "GET" && !seen["HEAD"] {
			seen["HEAD"] = true
			ms = append(ms, "HEAD")
		}
	}
	lv.loc = append(lv.loc, func(l *Location) { l.Methods = append([]string(nil), ms...) })
	return nil
}

func returnDirective(p *parser, lv *level, st *stmt) error {
	a := st.args[0]
	r := &Return{}
	if len(st.args) == 1 && (isHTTPURL(a.text) || strings.HasPrefix(a.text, "$scheme")) {
		r.Code, r.Text = 302, a.text
	} else {
		n, err := strconv.Atoi(a.text)
		if err != nil || !allDigits(a.text) || n < 100 || n > 599 {
			return errorf(a.pos, "invalid return code %q%s", a.text, returnHint(st))
		}
		r.Code = n
		if len(st.args) == 2 {
			r.Text = st.args[1].text
		}
		switch n {
		case 301, 302, 303, 307, 308:
			if r.Text == "" {
				return errorf(a.pos, `"return %d" requires a URL`, n)
			}
			if hasCTL(r.Text) || strings.ContainsAny(r.Text, " \t") {
				return errorf(st.args[1].pos, "invalid redirect URL %q", r.Text)
			}
		}
	}
	if hasCTL(r.Text) && r.Code >= 300 && r.Code < 400 {
		return errorf(st.args[len(st.args)-1].pos, "invalid redirect URL %q", r.Text)
	}
	tmpl, err := argTemplate(st.args[len(st.args)-1])
	if err != nil {
		return err
	}
	r.Tmpl = tmpl
	lv.loc = append(lv.loc, func(l *Location) {
		rr := *r
		l.Return = &rr
	})
	return nil
}

func cgiDirective(p *parser, lv *level, st *stmt) error {
	e := st.args[0]
	if len(e.text) < 2 || e.text[0] != '.' || strings.ContainsAny(e.text, "/\\") || hasCTL(e.text) || strings.ContainsAny(e.text, " ") {
		return invalidMust(e, st, `an extension starting with "."`)
	}
	if lv.cgiExt == nil {
		lv.cgiExt = map[string]bool{}
	}
	if lv.cgiExt[e.text] {
		return errorf(e.pos, "duplicate cgi extension %q", e.text)
	}
	lv.cgiExt[e.text] = true
	if lv.cgiPos == nil {
		pos := st.name.pos
		lv.cgiPos = &pos
	}
	c := CGI{Ext: e.text}
	if len(st.args) == 2 {
		in := st.args[1]
		if in.text == "" {
			return invalid(in, st)
		}
		var path string
		if strings.ContainsRune(in.text, '/') {
			path = p.abs(in.text)
			fi, err := os.Stat(path)
			if err != nil || !fi.Mode().IsRegular() {
				return errorf(in.pos, "cgi interpreter %q not found", in.text)
			}
			if fi.Mode().Perm()&0o111 == 0 {
				return errorf(in.pos, "cgi interpreter %q is not executable", in.text)
			}
		} else {
			found, err := exec.LookPath(in.text)
			if err != nil {
				return errorf(in.pos, "cgi interpreter %q not found", in.text)
			}
			if path, err = filepath.Abs(found); err != nil {
				return errorf(in.pos, "cgi interpreter %q: %v", in.text, err)
			}
		}
		c.Interpreter = path
	}
	first := st.first
	lv.loc = append(lv.loc, func(l *Location) {
		if first {
			l.CGI = nil
		}
		l.CGI = append(l.CGI, c)
	})
	return nil
}

func addHeaderDirective(p *parser, lv *level, st *stmt) error {
	n, v := st.args[0], st.args[1]
	if !isToken(n.text) {
		return errorf(n.pos, "invalid header name %q", n.text)
	}
	if hasCTL(v.text) {
		return errorf(v.pos, "invalid header value %q", v.text)
	}
	tmpl, err := argTemplate(v)
	if err != nil {
		return err
	}
	h, first := Header{Name: n.text, Value: v.text, Tmpl: tmpl}, st.first
	lv.loc = append(lv.loc, func(l *Location) {
		if first {
			l.AddHeaders = nil
		}
		l.AddHeaders = append(l.AddHeaders, h)
	})
	return nil
}

// isToken reports whether s is an RFC 9110 §5.6.2 token (a field name).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			continue
		}
		if !strings.ContainsRune("!#$%&'*+-.^_`|~", rune(c)) {
			return false
		}
	}
	return true
}

func defaultTypeDirective(p *parser, lv *level, st *stmt) error {
	a := st.args[0]
	if !strings.Contains(a.text, "/") || hasCTL(a.text) {
		return invalidMust(a, st, "a MIME type")
	}
	t := a.text
	lv.loc = append(lv.loc, func(l *Location) { l.DefaultType = t })
	return nil
}

func statusDirective(p *parser, lv *level, st *stmt) error {
	lv.loc = append(lv.loc, func(l *Location) { l.Status = true })
	return nil
}

// --- numbers ---

func locDuration(set func(*Location, time.Duration)) func(*parser, *level, *stmt) error {
	return func(p *parser, lv *level, st *stmt) error {
		d, err := durationArg(st, false)
		if err != nil {
			return err
		}
		lv.loc = append(lv.loc, func(l *Location) { set(l, d) })
		return nil
	}
}

func srvDuration(zero bool, set func(*Server, time.Duration)) func(*parser, *level, *stmt) error {
	return func(p *parser, lv *level, st *stmt) error {
		d, err := durationArg(st, zero)
		if err != nil {
			return err
		}
		lv.srv = append(lv.srv, func(s *Server) { set(s, d) })
		return nil
	}
}

func srvSize(set func(*Server, int64)) func(*parser, *level, *stmt) error {
	return func(p *parser, lv *level, st *stmt) error {
		n, err := sizeArg(st, minLimit)
		if err != nil {
			return err
		}
		lv.srv = append(lv.srv, func(s *Server) { set(s, n) })
		return nil
	}
}

func keepaliveRequests(p *parser, lv *level, st *stmt) error {
	n, err := countArg(st)
	if err != nil {
		return err
	}
	lv.srv = append(lv.srv, func(s *Server) { s.KeepaliveRequests = n })
	return nil
}

func maxConnections(p *parser, lv *level, st *stmt) error {
	n, err := countArg(st)
	if err != nil {
		return err
	}
	lv.cfg = append(lv.cfg, func(c *Config) { c.MaxConnections = n })
	return nil
}

func cgiMaxProcesses(p *parser, lv *level, st *stmt) error {
	n, err := countArg(st)
	if err != nil {
		return err
	}
	lv.cfg = append(lv.cfg, func(c *Config) { c.CGIMaxProcesses = n })
	return nil
}

func shutdownTimeout(p *parser, lv *level, st *stmt) error {
	d, err := durationArg(st, true)
	if err != nil {
		return err
	}
	lv.cfg = append(lv.cfg, func(c *Config) { c.ShutdownTimeout = d })
	return nil
}

func durationArg(st *stmt, zero bool) (time.Duration, error) {
	a := st.args[0]
	d, ok := parseDuration(a.text)
	if !ok {
		return 0, invalidMust(a, st, `a duration such as "30s", "500ms", "2m" or "1h"`)
	}
	if d == 0 && !zero {
		return 0, invalidMust(a, st, "greater than zero")
	}
	return d, nil
}

func sizeArg(st *stmt, min int64) (int64, error) {
	a := st.args[0]
	n, ok := parseSize(a.text)
	if !ok {
		return 0, invalidMust(a, st, `a size such as "512", "64k", "1m" or "2g"`)
	}
	if n < min {
		return 0, invalidMust(a, st, fmt.Sprintf("at least %d", min))
	}
	return n, nil
}

func countArg(st *stmt) (int, error) {
	a := st.args[0]
	n, err := strconv.Atoi(a.text)
	if err != nil || !allDigits(a.text) || n < 1 || n > maxCount {
		return 0, invalidMust(a, st, fmt.Sprintf("a number from 1 to %d", maxCount))
	}
	return n, nil
}

// parseSize parses digits with an optional k, m or g suffix (either case),
// powers of 1024, rejecting values that overflow int64.
func parseSize(s string) (int64, bool) {
	mult := int64(1)
	if s != "" {
		switch s[len(s)-1] {
		case 'k', 'K':
			mult = 1 << 10
		case 'm', 'M':
			mult = 1 << 20
		case 'g', 'G':
			mult = 1 << 30
		}
		if mult != 1 {
			s = s[:len(s)-1]
		}
	}
	if !allDigits(s) {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n > math.MaxInt64/mult {
		return 0, false
	}
	return n * mult, true
}

// parseDuration parses a bare number of seconds or a sequence of numbers
// with ms, s, m or h units ("1m30s"), rejecting overflow.
func parseDuration(s string) (time.Duration, bool) {
	if allDigits(s) {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n > int64(math.MaxInt64/time.Second) {
			return 0, false
		}
		return time.Duration(n) * time.Second, true
	}
	if s == "" {
		return 0, false
	}
	var total int64
	for s != "" {
		i := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == 0 {
			return 0, false
		}
		n, err := strconv.ParseInt(s[:i], 10, 64)
		if err != nil {
			return 0, false
		}
		s = s[i:]
		var unit time.Duration
		switch {
		case strings.HasPrefix(s, "ms"):
			unit, s = time.Millisecond, s[2:]
		case strings.HasPrefix(s, "s"):
			unit, s = time.Second, s[1:]
		case strings.HasPrefix(s, "m"):
			unit, s = time.Minute, s[1:]
		case strings.HasPrefix(s, "h"):
			unit, s = time.Hour, s[1:]
		default:
			return 0, false
		}
		if n > math.MaxInt64/int64(unit) {
			return 0, false
		}
		v := n * int64(unit)
		if total > math.MaxInt64-v {
			return 0, false
		}
		total += v
	}
	return time.Duration(total), true
}
