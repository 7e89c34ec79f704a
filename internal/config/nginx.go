package config

import (
	"fmt"
	"strings"
)

// This file makes the configurations people already have load: the
// directives of a stock nginx.conf that change nothing in webserv are
// accepted with one warning each, the ones that would change behaviour
// and are not implemented are errors that say what to use instead, and
// the names of the 42-school webserv dialect get a hint to the directive
// webserv spells differently. docs/nginx-migration.md lists them all.

// ctxEvents is inside nginx's `events { }` block, which webserv reads only
// to warn about what it holds.
const ctxEvents context = 1 << 7

// ignored are nginx directives accepted with a warning, and why they do
// nothing here. The reason completes "`NAME` is ignored: ".
var ignored = map[string]struct {
	ctx context
	why string
}{
	"user":                    {ctxMain, "webserv runs as the user that starts it"},
	"worker_processes":        {ctxMain, "webserv is one process that uses every CPU"},
	"pid":                     {ctxMain, "webserv writes no pid file"},
	"worker_cpu_affinity":     {ctxMain, "webserv is one process that uses every CPU"},
	"worker_priority":         {ctxMain, "webserv is one process; use nice(1)"},
	"worker_shutdown_timeout": {ctxMain, "use `shutdown_timeout`"},
	"pcre_jit":                {ctxMain, "webserv has no PCRE"},
	"load_module":             {ctxMain, "webserv has no dynamic modules"},

	"worker_connections": {ctxEvents, "use `max_connections` in the main context"},
	"use":                {ctxEvents, "webserv picks epoll or kqueue itself"},
	"multi_accept":       {ctxEvents, "webserv accepts every pending connection"},
	"accept_mutex":       {ctxEvents, "webserv is one process"},

	"sendfile":                      {ctxAny, "webserv always uses sendfile"},
	"tcp_nopush":                    {ctxAny, "webserv sends each response head and body in as few packets as it can"},
	"tcp_nodelay":                   {ctxAny, "webserv always sets TCP_NODELAY"},
	"types_hash_max_size":           {ctxAny, "webserv's tables have no size to tune"},
	"types_hash_bucket_size":        {ctxAny, "webserv's tables have no size to tune"},
	"server_names_hash_bucket_size": {ctxMain, "webserv's tables have no size to tune"},
	"server_names_hash_max_size":    {ctxMain, "webserv's tables have no size to tune"},
	"variables_hash_bucket_size":    {ctxMain, "webserv's tables have no size to tune"},
	"variables_hash_max_size":       {ctxMain, "webserv's tables have no size to tune"},
	"open_file_cache":               {ctxAny, "webserv caches open files itself"},
	"open_file_cache_valid":         {ctxAny, "webserv caches open files itself"},
	"open_file_cache_min_uses":      {ctxAny, "webserv caches open files itself"},
	"open_file_cache_errors":        {ctxAny, "webserv caches open files itself"},
	"reset_timedout_connection":     {ctxAny, "webserv closes a timed-out connection at once"},
	"client_body_buffer_size":       {ctxAny, "webserv sizes its buffers itself (the limit is `client_max_body_size`)"},
	"client_header_buffer_size":     {ctxMS, "webserv sizes its buffers itself (the limit is `client_max_header_size`)"},
	"large_client_header_buffers":   {ctxMS, "webserv sizes its buffers itself (the limits are `client_max_uri_length` and `client_max_header_size`)"},
	"output_buffers":                {ctxAny, "webserv sizes its buffers itself"},
	"log_not_found":                 {ctxAny, "a 404 is logged at debug in the error log"},

	"ssl_prefer_server_ciphers": {ctxMS, "Go's TLS orders the cipher suites itself"},
	"ssl_conf_command":          {ctxMS, "Go's TLS is not OpenSSL"},
	"ssl_session_cache":         {ctxMS, "Go's TLS resumes sessions with tickets"},
	"ssl_session_timeout":       {ctxMS, "Go's TLS resumes sessions with tickets"},
	"ssl_session_tickets":       {ctxMS, "Go's TLS resumes sessions with tickets"},
	"ssl_dhparam":               {ctxMS, "Go's TLS uses ECDHE key exchange only"},
	"ssl_ecdh_curve":            {ctxMS, "Go's TLS chooses the curves itself"},
	"ssl_stapling":              {ctxMS, "OCSP stapling is not implemented"},
	"ssl_stapling_verify":       {ctxMS, "OCSP stapling is not implemented"},
	"ssl_trusted_certificate":   {ctxMS, "OCSP stapling is not implemented"},
	"ssl_buffer_size":           {ctxMS, "Go's TLS sizes its records itself"},
	"resolver":                  {ctxAny, "webserv resolves no names while serving"},
	"resolver_timeout":          {ctxAny, "webserv resolves no names while serving"},
}

// gzipDirectives are the gzip directives that tune nginx's own buffers and
// old-client workarounds; they load with a warning (compress.go has the
// others).
var gzipDirectives = []string{"gzip_http_version", "gzip_buffers"}

// unsupported are nginx directives that would change behaviour and that
// webserv does not implement: errors, with what to use instead.
var unsupported = map[string]string{
	"fastcgi_pass":             `use "cgi .php /usr/bin/php-cgi;" (webserv runs PHP through php-cgi as CGI/1.1)`,
	"fastcgi_param":            `use "cgi"; webserv sets the CGI/1.1 variables itself`,
	"fastcgi_index":            `use "cgi" and "index index.php;"`,
	"fastcgi_split_path_info":  `use "cgi"; webserv sets PATH_INFO itself`,
	"fastcgi_read_timeout":     `use "cgi_timeout"`,
	"fastcgi_intercept_errors": "webserv runs PHP as CGI (`cgi`)",
	"uwsgi_pass":               "webserv has no uwsgi client; use `cgi`",
	"scgi_pass":                "webserv has no SCGI client; use `cgi`",
	"grpc_pass":                "webserv has no gRPC proxy",
	"proxy_pass":               "webserv has no reverse proxy",
	"proxy_set_header":         "webserv has no reverse proxy",
	"proxy_redirect":           "webserv has no reverse proxy",
	"proxy_http_version":       "webserv has no reverse proxy",
	"proxy_buffering":          "webserv has no reverse proxy",
	"proxy_read_timeout":       "webserv has no reverse proxy",
	"proxy_connect_timeout":    "webserv has no reverse proxy",
	"proxy_cache":              "webserv has no reverse proxy",
	"upstream":                 "webserv has no reverse proxy",
	"rewrite":                  `for a redirect use "return 301 URL;"`,
	"if":                       "use a `location` (or `return` in one) instead",
	"set":                      "webserv has no user-defined variables",
	"map":                      "webserv has no user-defined variables",
	"geo":                      "webserv has no user-defined variables",
	"auth_basic":               "webserv has no authentication",
	"auth_basic_user_file":     "webserv has no authentication",
	"auth_request":             "webserv has no authentication",
	"allow":                    "webserv has no access rules",
	"deny":                     "webserv has no access rules (only `deny all;` inside `limit_except`)",
	"satisfy":                  "webserv has no access rules",
	"limit_req":                "webserv has no rate limiting",
	"limit_req_zone":           "webserv has no rate limiting",
	"limit_conn":               "connection limits per key are not supported; `max_connections` bounds the total",
	"limit_conn_zone":          "connection limits per key are not supported; `max_connections` bounds the total",
	"limit_rate":               "webserv has no rate limiting",
	"expires":                  `use "add_header Cache-Control \"max-age=SECONDS\";"`,
	"charset":                  `webserv's built-in types carry charset=utf-8; in a types block, write it in the type ('"text/html; charset=utf-8" html;')`,
	"ssl":                      `use "listen PORT ssl;"`,
	"ssl_client_certificate":   "webserv does not ask for client certificates",
	"ssl_verify_client":        "webserv does not ask for client certificates",
	"server_name_in_redirect":  "webserv builds redirects from the request's Host",
	"port_in_redirect":         "webserv builds redirects from the request's Host",
	"absolute_redirect":        "webserv builds redirects from the request's Host",
	"internal":                 "webserv has no internal-only locations",
	"stream":                   "webserv serves HTTP only",
	"mail":                     "webserv serves HTTP only",
}

// dialect are directive names of the 42-school webserv projects'
// configurations, with the webserv directive that does the same.
var dialect = map[string]string{
	"host":              `use "listen ADDR:PORT;"`,
	"port":              `use "listen ADDR:PORT;"`,
	"cgi_ext":           `use "cgi EXT [INTERPRETER];", as in "cgi .py /usr/bin/python3;"`,
	"cgi_extension":     `use "cgi EXT [INTERPRETER];", as in "cgi .py /usr/bin/python3;"`,
	"cgi_path":          `use "cgi EXT [INTERPRETER];", as in "cgi .py /usr/bin/python3;"`,
	"cgi_pass":          `use "cgi EXT [INTERPRETER];", as in "cgi .py /usr/bin/python3;"`,
	"cgi_bin":           `use "cgi EXT [INTERPRETER];", as in "cgi .py /usr/bin/python3;"`,
	"client_body_size":  `use "client_max_body_size SIZE;"`,
	"max_body_size":     `use "client_max_body_size SIZE;"`,
	"body_size":         `use "client_max_body_size SIZE;"`,
	"client_body_limit": `use "client_max_body_size SIZE;"`,
	"redirect":          `use "return 301 URL;"`,
	"redirection":       `use "return 301 URL;"`,
	"directory_listing": `use "autoindex on;"`,
	"default_file":      `use "index FILE;"`,
	"upload_dir":        `use "upload_store DIR;"`,
	"upload_directory":  `use "upload_store DIR;"`,
	"error_pages":       `use "error_page CODE URI;"`,
}

func init() {
	// directives.go's init has filled the table: Go runs a package's init
	// functions in the order of its file names.
	for name, ig := range ignored {
		directives[name] = directive{ctx: ig.ctx, max: -1, repeat: true, fn: warnIgnored(ig.why)}
	}
	addCompressDirectives() // compress.go
	for _, name := range gzipDirectives {
		directives[name] = directive{ctx: ctxAny, max: -1, repeat: true, fn: warnIgnored("webserv sizes its compression buffers itself and compresses for HTTP/1.0 too")}
	}
	for name, why := range unsupported {
		directives[name] = directive{ctx: ctxAny | ctxEvents, max: -1, repeat: true, blockOpt: true, fn: refuse("directive %q is not supported: "+why, name)}
	}
	for name, use := range dialect {
		directives[name] = directive{ctx: ctxAny | ctxEvents, max: -1, repeat: true, blockOpt: true, fn: refuse("unknown directive %q: "+use, name)}
	}
	for _, name := range []string{"allow_methods", "allowed_methods", "methods_allowed"} {
		directives[name] = directive{ctx: ctxAny | ctxEvents, max: -1, repeat: true, blockOpt: true, fn: methodsHint}
	}
	directives["events"] = directive{ctx: ctxMain, block: true, fn: eventsBlock}
	directives["limit_except"] = directive{ctx: ctxLocation, min: 1, max: -1, blockOpt: true, same: "methods", fn: limitExcept}
}

func (p *parser) warn(pos Pos, format string, args ...any) {
	p.warnings = append(p.warnings, Warning{Pos: pos, Msg: fmt.Sprintf(format, args...)})
}

func warnIgnored(why string) func(*parser, *level, *stmt) error {
	return func(p *parser, lv *level, st *stmt) error {
		p.warn(st.name.pos, "`%s` is ignored: %s", st.name.text, why)
		return nil
	}
}

// refuse reports the first use of a directive webserv does not implement.
// Later uses are skipped silently (the load fails already): a PHP site's
// `include fastcgi_params;` alone holds some twenty fastcgi_param lines,
// which would otherwise fill the error list and hide the other mistakes.
func refuse(format, name string) func(*parser, *level, *stmt) error {
	msg := fmt.Sprintf(format, name)
	return func(p *parser, lv *level, st *stmt) error {
		if st.block {
			p.entered[&st.name] = true // skipped here, whatever follows
			if err := skipBlock(st.lx); err != nil {
				return p.abort(err)
			}
		}
		if p.refused[name] {
			return nil
		}
		if p.refused == nil {
			p.refused = map[string]bool{}
		}
		p.refused[name] = true
		return &Error{Pos: st.name.pos, Msg: msg}
	}
}

// methodsHint refuses the 42-school `allow_methods get post;` with the
// webserv line that does the same, its methods in upper case.
func methodsHint(p *parser, lv *level, st *stmt) error {
	ms := []string{"GET", "POST"}
	if len(st.args) > 0 {
		ms = ms[:0]
		for _, a := range st.args {
			ms = append(ms, strings.ToUpper(a.text))
		}
	}
	return errorf(st.name.pos, "unknown directive %q: use \"methods %s;\" (upper case)", st.name.text, strings.Join(ms, " "))
}

// eventsBlock reads nginx's events { } for its warnings: webserv has one
// event loop per CPU and nothing there to set.
func eventsBlock(p *parser, lv *level, st *stmt) error {
	ev := &level{ctx: ctxEvents, seen: map[string]bool{}}
	return p.statements(st.lx, ev, false, &st.name)
}

// limitExcept accepts nginx's way of restricting methods,
//
//	limit_except GET POST { deny all; }
//
// as `methods GET POST;`: the methods listed (and HEAD with GET, as nginx
// adds it) are allowed, the others answered 405. Its block may hold only
// `deny all;` — webserv has no other access rules.
func limitExcept(p *parser, lv *level, st *stmt) error {
	if !st.block {
		return errorf(st.name.pos, `directive "limit_except" has no opening "{": use "methods GET POST;"`)
	}
	p.entered[&st.name] = true // read here, not by statements
	denyAll := false
	for {
		t, args, ok, err := p.blockLine(st, "limit_except")
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		if t.text != "deny" || len(args) != 1 || args[0].text != "all" {
			if err := p.fail(errorf(t.pos, `only "deny all;" is supported inside "limit_except"`)); err != nil {
				return err
			}
		}
		denyAll = true
	}
	if !denyAll {
		return errorf(st.name.pos, `"limit_except" without "deny all;" restricts nothing: use "methods"`)
	}
	return methodsDirective(p, lv, st)
}

// methodHint completes an unknown-method error for a method webserv knows
// in another case: method names are case-sensitive (RFC 9110 §9.1).
func methodHint(m string) string {
	if u := strings.ToUpper(m); u != m && knownMethods[u] {
		return fmt.Sprintf(": methods are upper case (%q)", u)
	}
	return ""
}

func init() {
	directives["worker_rlimit_nofile"] = directive{ctx: ctxMain, min: 1, max: 1, fn: rlimitNofile}
	directives["server_tokens"] = directive{ctx: ctxMS, min: 1, max: 1, fn: serverTokens}
}

// serverTokens is `server_tokens on|off;`: whether the Server header
// shows webserv's version. Off by default, unlike nginx: a version in
// every response tells a scanner which known bugs to try.
var serverTokens = srvFlag(func(s *Server, on bool) { s.ServerTokens = on })

// rlimitNofile is `worker_rlimit_nofile N;`: the open file limit the
// server sets for itself at startup.
func rlimitNofile(p *parser, lv *level, st *stmt) error {
	n, err := countArg(st)
	if err != nil {
		return err
	}
	lv.cfg = append(lv.cfg, func(c *Config) { c.OpenFileLimit = uint64(n) })
	return nil
}

// mergeDualStack makes the pair every stock nginx site has,
//
//	listen 80 default_server;
//	listen [::]:80 default_server;
//
// one socket. nginx opens the first as IPv4 and the second as IPv6 only;
// webserv's ":80" is already both, so a second socket on "[::]:80" could
// not be bound (nor one on "0.0.0.0:80", which nginx takes as the same
// address as `listen 80;`). A "[::]:PORT" or "0.0.0.0:PORT" listen beside
// a ":PORT" one anywhere in the configuration joins it (its parameters
// added to the server's listen on that address). Without a ":PORT",
// "0.0.0.0:PORT" is IPv4 only and "[::]:PORT" IPv6 only, sockets side by
// side as in nginx (server.listenNetwork).
func (p *parser) mergeDualStack() {
	wild := map[string]bool{}
	for _, sb := range p.servers {
		for _, l := range sb.listens {
			if port, ok := strings.CutPrefix(l.Addr, ":"); ok {
				wild[port] = true
			}
		}
	}
	for _, sb := range p.servers {
		out := sb.listens[:0]
		at := map[string]int{}
		for _, l := range sb.listens {
			port, ok := strings.CutPrefix(l.Addr, "[::]:")
			if !ok {
				port, ok = strings.CutPrefix(l.Addr, "0.0.0.0:")
			}
			if ok && wild[port] {
				l.Addr = ":" + port
			}
			if i, dup := at[l.Addr]; dup {
				o := &out[i]
				o.DefaultServer = o.DefaultServer || l.DefaultServer
				o.SSL = o.SSL || l.SSL
				o.ReusePort = o.ReusePort || l.ReusePort
				o.ProxyProtocol = o.ProxyProtocol || l.ProxyProtocol
				continue
			}
			at[l.Addr] = len(out)
			out = append(out, l)
		}
		sb.listens = out
	}
}

// returnHint completes an invalid-return-code error for the 42-school
// `return URL;`, which nginx and webserv write with a code first.
func returnHint(st *stmt) string {
	if a := st.args[0].text; len(st.args) == 1 && strings.HasPrefix(a, "/") {
		return fmt.Sprintf(`: use "return 301 %s;" (or 302, 307, 308)`, a)
	}
	return ""
}

// errorPageHint completes the error for the 42-school `error_page 404
// error_pages/404.html;`: nginx's URI is a path from the root.
func errorPageHint(uri string) string {
	if uri == "" || hasCTL(uri) || strings.Contains(uri, "://") || strings.HasPrefix(uri, "@") {
		return ""
	}
	return fmt.Sprintf(` ("/%s", from the root)`, strings.TrimPrefix(uri, "./"))
}

func init() {
	// `add_header NAME VALUE always;`: webserv adds headers to every
	// response already, so nginx's "always" changes nothing.
	ah := directives["add_header"]
	addHeader := ah.fn
	ah.max = 3
	ah.fn = func(p *parser, lv *level, st *stmt) error {
		if len(st.args) == 3 {
			if a := st.args[2]; a.text != "always" {
				return errorf(a.pos, "invalid parameter %q", a.text)
			}
			st.args = st.args[:2]
		}
		return addHeader(p, lv, st)
	}
	directives["add_header"] = ah

	// listen parameters of nginx's that change nothing here are dropped
	// with one warning; the rest go to listen's own checks.
	ld := directives["listen"]
	listen := ld.fn
	ld.max = -1
	ld.fn = func(p *parser, lv *level, st *stmt) error {
		var kept []token
		var dropped []string
		var at Pos
		for i, a := range st.args {
			name, _, _ := strings.Cut(a.text, "=")
			if i > 0 && listenIgnored[name] {
				if dropped == nil {
					at = a.pos
				}
				dropped = append(dropped, a.text)
				continue
			}
			kept = append(kept, a)
		}
		if len(kept) > 5 {
			return errorf(st.name.pos, "invalid number of arguments in %q directive", st.name.text)
		}
		if dropped != nil {
			p.warn(at, "`listen ... %s` is ignored: webserv sets its sockets up itself", strings.Join(dropped, " "))
		}
		st.args = kept
		return listen(p, lv, st)
	}
	directives["listen"] = ld
}

// listenIgnored are listen parameters accepted with a warning (a
// "[::]:PORT" beside "PORT" is one dual-stack socket: ipv6only has
// nothing to do).
var listenIgnored = map[string]bool{
	"ipv6only": true, "backlog": true, "deferred": true,
	"fastopen": true, "so_keepalive": true, "bind": true, "rcvbuf": true, "sndbuf": true,
}
