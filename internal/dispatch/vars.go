package dispatch

import (
	"net"
	"os"
	"strings"
	"sync"
	"unsafe"

	"webserv/internal/config"
	"webserv/internal/http1"
	"webserv/internal/route"
)

// reqVars is the expansion context of config templates (SPEC §2a) for the
// request a connection is serving: the request, the connection's
// addresses, the location and its regex captures. It lives in the conn,
// which outlives the request, so that passing it as a config.VarSource
// allocates nothing; dispatch refills it for every request and internal
// redirect.
type reqVars struct {
	peer Peer
	srv  *config.Server
	req  *http1.Request
	loc  *config.Location
	path string // $uri: the clean path (try_files may change it)
	caps []int  // submatch indices into capSubject, nil without captures
	// capSubject is the path the location's regex matched.
	capSubject string
	status     int // $status, once known
}

// hostname is $hostname, read once: it names the machine, not a request.
var hostname = sync.OnceValue(func() string {
	h, _ := os.Hostname()
	return h
})

// AppendVar implements config.VarSource.
func (v *reqVars) AppendVar(dst []byte, x config.Var) []byte {
	req := v.req
	switch x.Kind {
	case config.VarURI:
		return append(dst, v.path...)
	case config.VarRequestURI:
		// The origin form, as nginx gives it also for an absolute-form
		// target (RFC 9112 §3.2.2): "https://$host$request_uri" must not
		// repeat the scheme and host.
		if len(req.Target) > 0 && req.Target[0] == '/' {
			return append(dst, req.Target...)
		}
		dst = append(dst, req.Path...)
		if len(req.Query) > 0 {
			dst = append(append(dst, '?'), req.Query...)
		}
		return dst
	case config.VarArgs:
		return append(dst, req.Query...)
	case config.VarArg:
		return append(dst, argValue(req.Query, x.Name)...)
	case config.VarHost:
		// nginx: the Host name, lowercased, without port and without
		// the trailing dot of a fully qualified name; else the server's
		// name.
		h := route.StripPort(req.Host)
		if n := len(h); n > 0 && h[n-1] == '.' {
			h = h[:n-1]
		}
		if len(h) == 0 {
			return append(dst, ServerName(v.srv)...)
		}
		start := len(dst)
		dst = append(dst, h...)
		for i := start; i < len(dst); i++ {
			if c := dst[i]; 'A' <= c && c <= 'Z' {
				dst[i] = c + 'a' - 'A'
			}
		}
		return dst
	case config.VarHostname:
		return append(dst, hostname()...)
	case config.VarServerName:
		return append(dst, ServerName(v.srv)...)
	case config.VarServerPort:
		return append(dst, port(v.peer.Local())...)
	case config.VarScheme:
		if v.peer.TLS() {
			return append(dst, "https"...)
		}
		return append(dst, "http"...)
	case config.VarHTTPS:
		if v.peer.TLS() {
			return append(dst, "on"...)
		}
		return dst
	case config.VarRemoteAddr:
		return append(dst, host(v.peer.Remote())...)
	case config.VarRemotePort:
		return append(dst, port(v.peer.Remote())...)
	case config.VarRequestMethod:
		return append(dst, req.Method...)
	case config.VarHTTP:
		return append(dst, req.Get(x.Name)...)
	case config.VarCookie:
		return append(dst, cookieValue(req, x.Name)...)
	case config.VarDocumentRoot:
		return append(dst, DocumentRoot(v.loc)...)
	case config.VarRequestFilename:
		return route.AppendFilePath(dst, v.loc, v.path)
	case config.VarContentType:
		return append(dst, req.Get("Content-Type")...)
	case config.VarContentLength:
		return append(dst, req.Get("Content-Length")...)
	case config.VarStatus:
		if v.status > 0 {
			return appendInt(dst, v.status)
		}
		return dst
	case config.VarCapture:
		if i := 2 * x.N; i+1 < len(v.caps) && v.caps[i] >= 0 {
			return append(dst, v.capSubject[v.caps[i]:v.caps[i+1]]...)
		}
	}
	return dst
}

// DocumentRoot is $document_root: the location's root, or its alias
// once expanded (nginx gives the alias).
func DocumentRoot(loc *config.Location) string {
	if loc.Alias != "" && loc.AliasTmpl == nil {
		return loc.Alias
	}
	return loc.Root
}

func appendInt(dst []byte, n int) []byte {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	return append(dst, b[i:]...)
}

func host(addr string) string {
	if h, _, err := net.SplitHostPort(addr); err == nil {
		return h
	}
	return addr
}

func port(addr string) string {
	if i := strings.LastIndexByte(addr, ':'); i >= 0 {
		return addr[i+1:]
	}
	return ""
}

// argValue is $arg_NAME: the raw value of the first query parameter
// named name (ASCII case-insensitive, as nginx compares), not
// percent-decoded (nginx leaves $arg_ raw).
func argValue(q []byte, name string) []byte {
	for len(q) > 0 {
		var kv []byte
		if i := indexByte(q, '&'); i >= 0 {
			kv, q = q[:i], q[i+1:]
		} else {
			kv, q = q, nil
		}
		k, val := kv, []byte(nil)
		if i := indexByte(kv, '='); i >= 0 {
			k, val = kv[:i], kv[i+1:]
		}
		if len(k) == len(name) && strings.EqualFold(string(k), name) {
			return val
		}
	}
	return nil
}

// cookieValue is $cookie_NAME: the value of the cookie named name (exact,
// as cookie names are case-sensitive, RFC 6265 §5.4) in any Cookie field.
func cookieValue(req *http1.Request, name string) []byte {
	for i := range req.Fields {
		f := &req.Fields[i]
		if !strings.EqualFold(string(f.Name), "cookie") {
			continue
		}
		v := f.Value
		for len(v) > 0 {
			var pair []byte
			if j := indexByte(v, ';'); j >= 0 {
				pair, v = v[:j], v[j+1:]
			} else {
				pair, v = v, nil
			}
			for len(pair) > 0 && (pair[0] == ' ' || pair[0] == '\t') {
				pair = pair[1:]
			}
			if j := indexByte(pair, '='); j >= 0 && string(pair[:j]) == name {
				return pair[j+1:]
			}
		}
	}
	return nil
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

// maxVarBuf bounds the scratch buffer a connection keeps between
// expansions: ordinary values (a redirect URL, a header) fit, and one
// huge $http_x value does not pin its size to the connection.
const maxVarBuf = 4 << 10

// expand returns t expanded for the current request, through the
// connection's scratch buffer (one string allocation for the result).
func (h *handler) expand(t *config.Template) string {
	s := string(h.expandBytes(t))
	h.trimVarBuf()
	return s
}

// expandBytes expands t into the connection's scratch buffer; the result
// is valid until the next expansion.
func (h *handler) expandBytes(t *config.Template) []byte {
	h.x.varBuf = t.Expand(h.x.varBuf[:0], &h.x.vars)
	return h.x.varBuf
}

func (h *handler) trimVarBuf() {
	if cap(h.x.varBuf) > maxVarBuf {
		h.x.varBuf = nil
	}
}

// expandHeader returns t expanded for the current request as a response
// header value, without allocating: the value is appended to the request
// state's header buffer and returned as a string that shares its bytes.
// That is sound because the buffer is only appended to while the
// response is built (a growing append moves on to a new array and leaves
// the old bytes as they are) and is reused (resetHeaderBuf) only for the
// next request, after this response's head went out and its Header was
// reset; the value must not be kept beyond the response. A string
// conversion per add_header with a variable was 1 allocation per request
// (TestTryFilesKeepAliveAllocs, "/h/1k.html": 1 -> 0).
func (h *handler) expandHeader(t *config.Template) string {
	x := h.x
	start := len(x.hdrBuf)
	x.hdrBuf = t.Expand(x.hdrBuf, &x.vars)
	b := x.hdrBuf[start:]
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// resetHeaderBuf empties the header buffer for a new request (see
// expandHeader), dropping it when one response made it large.
func (x *Exchange) resetHeaderBuf() {
	if cap(x.hdrBuf) > maxVarBuf {
		x.hdrBuf = nil
		return
	}
	x.hdrBuf = x.hdrBuf[:0]
}

// ServerName is nginx's $server_name: the server's first name.
func ServerName(srv *config.Server) string {
	if len(srv.Names) > 0 {
		return srv.Names[0]
	}
	return ""
}

// setVars points the expansion context at req served by loc for path.
func (h *handler) setVars(req *http1.Request, loc *config.Location, path string, caps []int) {
	h.x.vars = reqVars{peer: h.x.Peer, srv: h.srv, req: req, loc: loc, path: path, caps: caps, capSubject: path}
}
