package config

import (
	"fmt"
	"strings"
)

// Variables (SPEC §2a): nginx's $name in `return`, `add_header`,
// `error_page`, `try_files` and `alias`. A value is compiled once, at load
// time, into a Template — a list of literal and variable parts — so that a
// request only appends bytes: no parsing, no map lookups, and no
// allocation when the caller's buffer has room. An unknown variable is a
// load error, never literal output.

// VarKind names one variable.
type VarKind uint8

const (
	varLiteral VarKind = iota // a Template part that is plain text

	VarURI             // $uri: the clean (decoded, dot-free) path
	VarRequestURI      // $request_uri: the request-target as sent
	VarArgs            // $args, $query_string: the query, without "?"
	VarArg             // $arg_NAME: that query parameter, raw (not decoded, as nginx)
	VarHost            // $host: the Host name, lowercased, without port; else the server name
	VarHostname        // $hostname: the machine's host name
	VarServerName      // $server_name: the server's first name
	VarServerPort      // $server_port: the local port
	VarScheme          // $scheme: http or https
	VarHTTPS           // $https: "on" over TLS, else ""
	VarRemoteAddr      // $remote_addr
	VarRemotePort      // $remote_port
	VarRequestMethod   // $request_method
	VarHTTP            // $http_NAME: a request header ("_" stands for "-")
	VarCookie          // $cookie_NAME: a cookie's value
	VarDocumentRoot    // $document_root: the location's root (or alias)
	VarRequestFilename // $request_filename: the file the URI maps to
	VarContentType     // $content_type: the request's Content-Type
	VarContentLength   // $content_length: the request's Content-Length
	VarStatus          // $status: the response status (logs)
	VarCapture         // $1...$9: a regex location's capture
)

// simpleVars are the variables without a NAME part.
var simpleVars = map[string]VarKind{
	"uri":              VarURI,
	"document_uri":     VarURI, // nginx's synonym
	"request_uri":      VarRequestURI,
	"args":             VarArgs,
	"query_string":     VarArgs,
	"host":             VarHost,
	"hostname":         VarHostname,
	"server_name":      VarServerName,
	"server_port":      VarServerPort,
	"scheme":           VarScheme,
	"https":            VarHTTPS,
	"remote_addr":      VarRemoteAddr,
	"remote_port":      VarRemotePort,
	"request_method":   VarRequestMethod,
	"document_root":    VarDocumentRoot,
	"request_filename": VarRequestFilename,
	"content_type":     VarContentType,
	"content_length":   VarContentLength,
	"status":           VarStatus,
}

// Var is one variable reference in a Template.
type Var struct {
	Kind VarKind
	// Name is the NAME of $arg_NAME, $cookie_NAME (as written) and
	// $http_NAME (lowercased, "_" turned into "-", ready to compare with a
	// field name case-insensitively).
	Name string
	N    int // the capture number of $1...$9
}

// VarSource supplies variable values for one request. The server fills
// one per request (request, connection addresses, location, captures);
// nothing about a request lives in package state.
type VarSource interface {
	// AppendVar appends v's value to dst. A variable with no value (a
	// missing header, no such capture) appends nothing.
	AppendVar(dst []byte, v Var) []byte
}

type part struct {
	lit string
	v   Var // v.Kind == varLiteral: the part is lit
}

// Template is a compiled value with variables.
type Template struct {
	Raw      string // as written in the configuration
	parts    []part
	captures bool
}

// varError is a template error at byte offset Off of the value.
type varError struct {
	Off int
	Msg string
}

func (e *varError) Error() string { return e.Msg }

// CompileTemplate compiles s. It returns an error naming the first unknown
// variable or malformed reference ("$" at the end, "${" unclosed).
func CompileTemplate(s string) (*Template, error) {
	t := &Template{Raw: s}
	lit := 0 // start of the pending literal
	for i := 0; i < len(s); i++ {
		if s[i] != '$' {
			continue
		}
		start := i
		j := i + 1
		braces := j < len(s) && s[j] == '{'
		if braces {
			j++
		}
		k := j
		if k < len(s) && s[k] >= '1' && s[k] <= '9' {
			k++ // $1: one digit, as nginx reads it
		} else {
			for k < len(s) && isVarByte(s[k]) {
				k++
			}
		}
		name := s[j:k]
		if name == "" {
			return nil, &varError{start, fmt.Sprintf("invalid variable name in %q", s)}
		}
		end := k
		if braces {
			if k >= len(s) || s[k] != '}' {
				return nil, &varError{start, fmt.Sprintf("the closing bracket in %q variable is missing", name)}
			}
			end = k + 1
		}
		v, ok := lookupVar(name)
		if !ok {
			return nil, &varError{start, fmt.Sprintf("unknown %q variable", "$"+name)}
		}
		if v.Kind == VarCapture {
			t.captures = true
		}
		if start > lit {
			t.parts = append(t.parts, part{lit: s[lit:start]})
		}
		t.parts = append(t.parts, part{v: v})
		lit = end
		i = end - 1
	}
	if lit < len(s) {
		t.parts = append(t.parts, part{lit: s[lit:]})
	}
	return t, nil
}

func isVarByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

func lookupVar(name string) (Var, bool) {
	if len(name) == 1 && name[0] >= '1' && name[0] <= '9' {
		return Var{Kind: VarCapture, N: int(name[0] - '0')}, true
	}
	if k, ok := simpleVars[name]; ok {
		return Var{Kind: k}, true
	}
	switch {
	case strings.HasPrefix(name, "arg_") && len(name) > len("arg_"):
		return Var{Kind: VarArg, Name: name[len("arg_"):]}, true
	case strings.HasPrefix(name, "cookie_") && len(name) > len("cookie_"):
		return Var{Kind: VarCookie, Name: name[len("cookie_"):]}, true
	case strings.HasPrefix(name, "http_") && len(name) > len("http_"):
		h := strings.ToLower(strings.ReplaceAll(name[len("http_"):], "_", "-"))
		return Var{Kind: VarHTTP, Name: h}, true
	}
	return Var{}, false
}

// HasVars reports whether s holds a "$", i.e. needs a Template.
func HasVars(s string) bool { return strings.IndexByte(s, '$') >= 0 }

// UsesCaptures reports whether t names $1...$9.
func (t *Template) UsesCaptures() bool { return t != nil && t.captures }

func (t *Template) String() string { return t.Raw }

// Expand appends t's value for src to dst and returns it. It allocates
// nothing when dst has room (and src's AppendVar does not).
//
// Variable values are request data: Expand deletes from them every
// control byte but tab — CR, LF and NUL above all — so that an expanded
// value can never end a header line, add one, or cut a C string, whatever
// a client sends in $http_x, $arg_x or $cookie_x (RFC 9110 §5.5: a field
// value holds no CTL but HTAB). Literal parts were checked at load time.
func (t *Template) Expand(dst []byte, src VarSource) []byte {
	for _, p := range t.parts {
		if p.v.Kind == varLiteral {
			dst = append(dst, p.lit...)
			continue
		}
		start := len(dst)
		dst = src.AppendVar(dst, p.v)
		dst = stripCTL(dst, start)
	}
	return dst
}

// stripCTL removes control bytes (but tab) from b[start:] in place.
func stripCTL(b []byte, start int) []byte {
	w := start
	for r := start; r < len(b); r++ {
		if c := b[r]; (c < ' ' && c != '\t') || c == 0x7f {
			continue
		}
		b[w] = b[r]
		w++
	}
	return b[:w]
}

// compileArg compiles a directive argument, turning a template error into
// an *Error at the "$" that caused it.
func compileArg(a token) (*Template, error) {
	t, err := CompileTemplate(a.text)
	if err != nil {
		ve := err.(*varError)
		pos := a.pos
		if !a.quoted && !strings.Contains(a.text[:ve.Off], "\n") {
			pos.Col += ve.Off // exact for an unquoted word on one line
		}
		return nil, errorf(pos, "%s", ve.Msg)
	}
	return t, nil
}

// argTemplate compiles a directive argument when it holds a "$": nil for
// a plain value, which callers use as is.
func argTemplate(a token) (*Template, error) {
	if !HasVars(a.text) {
		return nil, nil
	}
	return compileArg(a)
}
