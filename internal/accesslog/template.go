package accesslog

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// A Template is a compiled nginx `log_format`: literal text and variables,
// expanded per request into a reused buffer without allocating.
type Template struct {
	parts    []part
	esc      Escape
	filename bool // uses $request_filename
}

// NeedsFilename reports whether t uses $request_filename, which the
// caller then builds into Entry.Filename.
func (t *Template) NeedsFilename() bool { return t.filename }

// Escape is log_format's escape= parameter: how variable values are
// written (literal text is written as is).
type Escape uint8

const (
	EscapeDefault Escape = iota // '"', '\', controls and non-ASCII as \xHH (nginx's default)
	EscapeJSON                  // as inside a JSON string (RFC 8259 §7)
	EscapeNone                  // as they are
)

// ParseEscape maps "default", "json" and "none" to an Escape.
func ParseEscape(s string) (Escape, bool) {
	switch s {
	case "default":
		return EscapeDefault, true
	case "json":
		return EscapeJSON, true
	case "none":
		return EscapeNone, true
	}
	return 0, false
}

type variable uint8

const (
	varLiteral variable = iota
	varRemoteAddr
	varRemoteUser
	varTimeLocal
	varTimeISO8601
	varMsec
	varRequest
	varStatus
	varBodyBytesSent
	varBytesSent
	varRequestTime
	varRequestMethod
	varRequestURI
	varURI
	varArgs
	varHost
	varServerName
	varServerPort
	varServerProtocol
	varScheme
	varHTTP // $http_NAME: a request header
	varArg  // $arg_NAME: a query parameter
	varCookie
	varHTTPS
	varRemotePort
	varContentType
	varContentLength
	varHostname
	varDocumentRoot
	varRequestFilename
)

// variables are the names a log_format may use, as nginx spells them.
var variables = map[string]variable{
	"remote_addr":      varRemoteAddr,
	"remote_user":      varRemoteUser,
	"time_local":       varTimeLocal,
	"time_iso8601":     varTimeISO8601,
	"msec":             varMsec,
	"request":          varRequest,
	"status":           varStatus,
	"body_bytes_sent":  varBodyBytesSent,
	"bytes_sent":       varBytesSent,
	"request_time":     varRequestTime,
	"request_method":   varRequestMethod,
	"request_uri":      varRequestURI,
	"uri":              varURI,
	"document_uri":     varURI,
	"args":             varArgs,
	"query_string":     varArgs,
	"host":             varHost,
	"server_name":      varServerName,
	"server_port":      varServerPort,
	"server_protocol":  varServerProtocol,
	"scheme":           varScheme,
	"https":            varHTTPS,
	"remote_port":      varRemotePort,
	"content_type":     varContentType,
	"content_length":   varContentLength,
	"hostname":         varHostname,
	"document_root":    varDocumentRoot,
	"request_filename": varRequestFilename,
}

type part struct {
	lit  string   // varLiteral: the text
	v    variable // otherwise: which variable
	name string   // varHTTP: the header name ("x-forwarded-for"); varArg, varCookie: the name
}

// VarError is an unknown or malformed variable in a format; Off is the
// byte offset of its "$" in the format text.
type VarError struct {
	Off  int
	Name string
	Msg  string
}

func (e *VarError) Error() string { return e.Msg }

// Compile compiles a log_format's text. nginx's variable syntax: "$name"
// (letters, digits, "_") or "${name}" when a letter follows.
func Compile(format string, esc Escape) (*Template, error) {
	t := &Template{esc: esc}
	lit := 0 // start of the pending literal
	for i := 0; i < len(format); {
		if format[i] != '$' {
			i++
			continue
		}
		start := i
		j := i + 1
		braced := j < len(format) && format[j] == '{'
		if braced {
			j++
		}
		k := j
		for k < len(format) && isVarByte(format[k]) {
			k++
		}
		name := format[j:k]
		if name == "" {
			return nil, &VarError{Off: start, Msg: "invalid variable name: \"$\" must be followed by a name (write a literal dollar as ${dollar})"}
		}
		end := k
		if braced {
			if k >= len(format) || format[k] != '}' {
				return nil, &VarError{Off: start, Name: name, Msg: fmt.Sprintf(`the closing bracket in %q variable is missing`, name)}
			}
			end = k + 1
		}
		p, ok := lookup(name)
		if !ok {
			return nil, &VarError{Off: start, Name: name, Msg: fmt.Sprintf("unknown %q variable", "$"+name)}
		}
		if start > lit {
			t.parts = append(t.parts, part{lit: format[lit:start]})
		}
		t.parts = append(t.parts, p)
		t.filename = t.filename || p.v == varRequestFilename
		i, lit = end, end
	}
	if lit < len(format) {
		t.parts = append(t.parts, part{lit: format[lit:]})
	}
	return t, nil
}

func isVarByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

func lookup(name string) (part, bool) {
	if name == "dollar" {
		return part{lit: "$"}, true
	}
	lower := strings.ToLower(name)
	if v, ok := variables[lower]; ok {
		return part{v: v}, true
	}
	if h, ok := strings.CutPrefix(lower, "http_"); ok && h != "" {
		// $http_x_forwarded_for is the X-Forwarded-For field: "_" for
		// "-", any case (field names are case-insensitive, RFC 9110 §5.1).
		return part{v: varHTTP, name: strings.ReplaceAll(h, "_", "-")}, true
	}
	// $arg_NAME and $cookie_NAME keep the name as written: nginx compares
	// argument names case-insensitively (argValue does), cookie names
	// exactly (RFC 6265 §5.4).
	if len(name) > len("arg_") && strings.EqualFold(name[:len("arg_")], "arg_") {
		return part{v: varArg, name: name[len("arg_"):]}, true
	}
	if len(name) > len("cookie_") && strings.EqualFold(name[:len("cookie_")], "cookie_") {
		return part{v: varCookie, name: name[len("cookie_"):]}, true
	}
	return part{}, false
}

// Append appends e's line as t formats it, with the final newline.
func (t *Template) Append(b []byte, e *Entry) []byte {
	for i := range t.parts {
		p := &t.parts[i]
		switch p.v {
		case varLiteral:
			b = append(b, p.lit...)
		case varRemoteAddr:
			b = t.str(b, remoteHost(e.RemoteAddr))
		case varRemoteUser:
			b = append(b, '-') // no authentication: nginx's empty value
		case varTimeLocal:
			b = e.Time.AppendFormat(b, timeLocal)
		case varTimeISO8601:
			b = e.Time.AppendFormat(b, time.RFC3339)
		case varMsec:
			b = strconv.AppendFloat(b, float64(e.Time.UnixMilli())/1e3, 'f', 3, 64)
		case varRequest:
			if len(e.Method) == 0 {
				b = append(b, '-')
				break
			}
			b = t.bytes(b, e.Method)
			b = append(b, ' ')
			b = t.bytes(b, e.Target)
			b = append(b, ' ')
			b = appendProto(b, e)
		case varStatus:
			b = strconv.AppendInt(b, int64(e.Status), 10)
		case varBodyBytesSent:
			b = strconv.AppendInt(b, e.BodyBytes, 10)
		case varBytesSent:
			b = strconv.AppendInt(b, e.BytesSent, 10)
		case varRequestTime:
			// nginx: seconds with millisecond resolution.
			b = strconv.AppendFloat(b, e.Duration.Seconds(), 'f', 3, 64)
		case varRequestMethod:
			b = t.bytes(b, e.Method)
		case varRequestURI:
			// The origin form, as nginx gives it also for an
			// absolute-form target (RFC 9112 §3.2.2).
			if len(e.Target) == 0 || e.Target[0] == '/' {
				b = t.bytes(b, e.Target)
				break
			}
			b = t.bytes(b, e.Path)
			if len(e.Query) > 0 {
				b = append(b, '?')
				b = t.bytes(b, e.Query)
			}
		case varURI:
			b = t.str(b, e.URI)
		case varArgs:
			b = t.bytes(b, e.Query)
		case varHost:
			if len(e.Host) == 0 { // nginx: the server's name without a Host
				b = t.str(b, e.ServerName)
				break
			}
			b = appendHost(b, e.Host, t.esc)
		case varServerName:
			b = t.str(b, e.ServerName)
		case varServerPort:
			b = t.str(b, port(e.LocalAddr))
		case varServerProtocol:
			if len(e.Method) == 0 {
				b = append(b, '-')
				break
			}
			b = appendProto(b, e)
		case varScheme:
			if e.TLS {
				b = append(b, "https"...)
			} else {
				b = append(b, "http"...)
			}
		case varHTTP:
			var v []byte
			if e.Header != nil {
				v = e.Header.Get(p.name)
			}
			b = t.bytes(b, v)
		case varArg:
			b = t.bytes(b, argValue(e.Query, p.name))
		case varCookie:
			var v []byte
			if e.Header != nil {
				v = cookieValue(e.Header.Get("Cookie"), p.name)
			}
			b = t.bytes(b, v)
		case varHTTPS:
			if e.TLS {
				b = append(b, "on"...)
			} else {
				b = t.str(b, "")
			}
		case varRemotePort:
			b = t.str(b, port(e.RemoteAddr))
		case varContentType, varContentLength:
			var v []byte
			if e.Header != nil {
				if p.v == varContentType {
					v = e.Header.Get("Content-Type")
				} else {
					v = e.Header.Get("Content-Length")
				}
			}
			b = t.bytes(b, v)
		case varHostname:
			b = t.str(b, hostname())
		case varDocumentRoot:
			b = t.str(b, e.DocumentRoot)
		case varRequestFilename:
			b = t.bytes(b, e.Filename)
		}
	}
	return append(b, '\n')
}

// str and bytes append a variable's value escaped as t says; an empty
// value is "-", as nginx writes it (with escape=json, nothing).
func (t *Template) str(b []byte, s string) []byte { return appendValue(b, s, t.esc) }

func (t *Template) bytes(b []byte, s []byte) []byte { return appendValue(b, s, t.esc) }

func appendValue[T string | []byte](b []byte, s T, esc Escape) []byte {
	switch esc {
	case EscapeJSON:
		// appendJSONString quotes; the quotes belong to the format text.
		n := len(b)
		b = appendJSONString(b, s)
		copy(b[n:], b[n+1:len(b)-1])
		return b[:len(b)-2]
	case EscapeNone:
		if len(s) == 0 {
			return append(b, '-')
		}
		return append(b, s...)
	}
	if len(s) == 0 {
		return append(b, '-')
	}
	return appendEscaped(b, s)
}

// appendHost appends $host: the Host in lower case without the trailing
// dot of a fully qualified name, as nginx gives it (a Host with bytes
// that need escaping is escaped as it is).
func appendHost(b, host []byte, esc Escape) []byte {
	if n := len(host); n > 0 && host[n-1] == '.' {
		host = host[:n-1]
	}
	for _, c := range host {
		if c <= ' ' || c >= 0x7f || c == '"' || c == '\\' {
			return appendValue(b, host, esc)
		}
	}
	if len(host) == 0 {
		return appendValue(b, host, esc)
	}
	for _, c := range host {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	return b
}

// hostname is $hostname, read once: it names the machine, not a request.
var hostname = sync.OnceValue(func() string {
	h, _ := os.Hostname()
	return h
})

// argValue is $arg_NAME: the raw value of the first query parameter
// named name (ASCII case-insensitive, as nginx compares), not
// percent-decoded (nginx leaves $arg_ raw).
func argValue(q []byte, name string) []byte {
	for len(q) > 0 {
		var kv []byte
		if i := bytes.IndexByte(q, '&'); i >= 0 {
			kv, q = q[:i], q[i+1:]
		} else {
			kv, q = q, nil
		}
		k, val := kv, []byte(nil)
		if i := bytes.IndexByte(kv, '='); i >= 0 {
			k, val = kv[:i], kv[i+1:]
		}
		if len(k) == len(name) && bytes.EqualFold(k, []byte(name)) {
			return val
		}
	}
	return nil
}

// cookieValue is $cookie_NAME: the value of the cookie named name (exact:
// cookie names are case-sensitive, RFC 6265 §5.4) in a Cookie field
// value. A user agent sends one Cookie field (RFC 6265 §5.4), the one
// Header.Get returns.
func cookieValue(v []byte, name string) []byte {
	for len(v) > 0 {
		var pair []byte
		if j := bytes.IndexByte(v, ';'); j >= 0 {
			pair, v = v[:j], v[j+1:]
		} else {
			pair, v = v, nil
		}
		pair = bytes.TrimLeft(pair, " \t")
		if j := bytes.IndexByte(pair, '='); j >= 0 && string(pair[:j]) == name {
			return pair[j+1:]
		}
	}
	return nil
}

// port is the port of "ip:port", or "".
func port(addr string) string {
	if i := strings.LastIndexByte(addr, ':'); i >= 0 {
		return addr[i+1:]
	}
	return ""
}
