package accesslog

import (
	"net"
	"strconv"
	"time"
	"unicode/utf8"
)

// Format is an access log line format.
type Format uint8

const (
	Combined Format = iota // nginx's combined format
	JSON                   // one JSON object per line
)

// ParseFormat maps a configuration value ("combined", "json") to a
// Format; anything else is Combined (config validates the values).
func ParseFormat(s string) Format {
	if s == "json" {
		return JSON
	}
	return Combined
}

// Entry is what one line records. The byte slices may alias a connection's
// read buffer: Log formats the line before it returns and keeps nothing.
type Entry struct {
	Time       time.Time     // when the response finished (nginx's $time_local)
	Duration   time.Duration // from the request head read to the response finished
	RemoteAddr string        // "ip:port" or "ip"; the port is not logged
	Method     []byte        // empty when no request line was parsed (a 400 or 408)
	Target     []byte
	Minor      int  // HTTP/1.Minor
	HTTP2      bool // the request came over HTTP/2: "HTTP/2.0"
	Status     int
	BodyBytes  int64 // response body bytes sent (nginx's $body_bytes_sent)
	Referer    []byte
	UserAgent  []byte
	ServerName string

	// For log_format templates (template.go); the byte slices alias the
	// request as the ones above do.
	BytesSent int64  // head and body (nginx's $bytes_sent)
	Path      []byte // the target's path, as sent ($request_uri of an absolute-form target)
	URI       string // the path decoded and cleaned, as served ($uri)
	Query     []byte // after "?" ($args)
	Host      []byte // the Host, lower case without port ($host)
	LocalAddr string // "ip:port" the connection came in on ($server_port)
	TLS       bool   // $scheme https
	Header    Header // the request's fields ($http_NAME, $cookie_NAME); nil when unparsed
	// DocumentRoot and Filename are the location's root (or alias) and
	// the file the URI names in it ($document_root, $request_filename;
	// the caller fills Filename only when Template.NeedsFilename).
	DocumentRoot string
	Filename     []byte
}

// Header looks up a request field by name, case-insensitively
// (*http1.Request is one).
type Header interface {
	Get(name string) []byte
}

// The time layouts: nginx's $time_local, and RFC 3339 with milliseconds.
const (
	timeLocal = "02/Jan/2006:15:04:05 -0700"
	timeJSON  = "2006-01-02T15:04:05.000Z07:00"
)

// Append appends e's line in format f, with the final newline.
func Append(b []byte, f Format, e *Entry) []byte {
	if f == JSON {
		return AppendJSON(b, e)
	}
	return AppendCombined(b, e)
}

// AppendCombined appends e in nginx's combined format:
//
//	$remote_addr - - [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"
//
// Quoted values are escaped as nginx escapes them; an empty value is "-".
func AppendCombined(b []byte, e *Entry) []byte {
	b = append(b, remoteHost(e.RemoteAddr)...)
	b = append(b, " - - ["...)
	b = e.Time.AppendFormat(b, timeLocal)
	b = append(b, "] \""...)
	if len(e.Method) == 0 {
		b = append(b, '-')
	} else {
		b = appendEscaped(b, e.Method)
		b = append(b, ' ')
		b = appendEscaped(b, e.Target)
		b = append(b, ' ')
		b = appendProto(b, e)
	}
	b = append(b, "\" "...)
	b = strconv.AppendInt(b, int64(e.Status), 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, e.BodyBytes, 10)
	b = append(b, " \""...)
	b = appendEscapedOrDash(b, e.Referer)
	b = append(b, "\" \""...)
	b = appendEscapedOrDash(b, e.UserAgent)
	return append(b, "\"\n"...)
}

// AppendJSON appends e as one JSON object (RFC 8259) and a newline.
func AppendJSON(b []byte, e *Entry) []byte {
	b = append(b, `{"time":"`...)
	b = e.Time.AppendFormat(b, timeJSON)
	b = append(b, `","remote_addr":`...)
	b = appendJSONString(b, remoteHost(e.RemoteAddr))
	b = append(b, `,"method":`...)
	b = appendJSONString(b, e.Method)
	b = append(b, `,"target":`...)
	b = appendJSONString(b, e.Target)
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(e.Status), 10)
	b = append(b, `,"bytes":`...)
	b = strconv.AppendInt(b, e.BodyBytes, 10)
	b = append(b, `,"duration_ms":`...)
	b = strconv.AppendFloat(b, float64(e.Duration)/float64(time.Millisecond), 'f', 3, 64)
	b = append(b, `,"user_agent":`...)
	b = appendJSONString(b, e.UserAgent)
	b = append(b, `,"referer":`...)
	b = appendJSONString(b, e.Referer)
	b = append(b, `,"server_name":`...)
	b = appendJSONString(b, e.ServerName)
	return append(b, "}\n"...)
}

// remoteHost drops the port of "ip:port" ("[::1]:80" gives "::1", as
// nginx's $remote_addr).
func remoteHost(addr string) string {
	if host, _, err := net.SplitHostPort(addr); err == nil {
		return host
	}
	return addr
}

const hexDigits = "0123456789ABCDEF"

// appendEscaped escapes as nginx does for variables in a log line
// (ngx_http_log_escape): '"', '\' and every byte outside printable ASCII
// become \xHH, so a quoted field never contains a quote or a line break.
func appendEscaped[T string | []byte](b []byte, s T) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '"' || c == '\\' || c < 0x20 || c >= 0x7f {
			b = append(b, '\\', 'x', hexDigits[c>>4], hexDigits[c&0xf])
			continue
		}
		b = append(b, c)
	}
	return b
}

func appendEscapedOrDash(b []byte, s []byte) []byte {
	if len(s) == 0 {
		return append(b, '-')
	}
	return appendEscaped(b, s)
}

// appendJSONString appends s as a JSON string (RFC 8259 §7): quote,
// backslash and control characters escaped; invalid UTF-8 becomes U+FFFD
// so that the line stays valid JSON.
func appendJSONString[T string | []byte](b []byte, s T) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20 || c == 0x7f:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(string(s[i:min(i+utf8.UTFMax, len(s))]))
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

// appendProto appends the request's protocol as nginx's
// $server_protocol gives it.
func appendProto(b []byte, e *Entry) []byte {
	if e.HTTP2 {
		return append(b, "HTTP/2.0"...)
	}
	b = append(b, "HTTP/1."...)
	return strconv.AppendInt(b, int64(e.Minor), 10)
}
