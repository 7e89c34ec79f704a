package config

// HTTP/2 (RFC 9113) directives, in nginx's vocabulary.

// HTTP2Mode is a server's `http2` setting.
type HTTP2Mode uint8

const (
	// HTTP2Default: HTTP/2 through ALPN on ssl listeners only, as
	// browsers use it; h2c takes `http2 on;`, since a plain listener
	// that answers a preface is a choice (nginx's default is off).
	HTTP2Default HTTP2Mode = iota
	HTTP2On
	HTTP2Off
)

// maxHTTP2Streams bounds http2_max_concurrent_streams: every stream may
// hold a handler goroutine and a receive window.
const maxHTTP2Streams = 1024

func init() {
	directives["http2"] = directive{ctx: ctxMS, min: 1, max: 1, fn: http2Directive}
	directives["http2_max_concurrent_streams"] = directive{ctx: ctxMS, min: 1, max: 1, fn: http2MaxStreams}
}

// http2Directive is `http2 on|off;` (nginx 1.25.1).
var http2Directive = srvFlag(func(s *Server, on bool) {
	s.HTTP2 = HTTP2Off
	if on {
		s.HTTP2 = HTTP2On
	}
})

// http2MaxStreams is `http2_max_concurrent_streams N;` (nginx's default
// is 128, as is ours).
func http2MaxStreams(p *parser, lv *level, st *stmt) error {
	n, err := countArg(st)
	if err != nil {
		return err
	}
	if n < 1 || n > maxHTTP2Streams {
		return errorf(st.args[0].pos, "http2_max_concurrent_streams must be between 1 and %d", maxHTTP2Streams)
	}
	lv.srv = append(lv.srv, func(s *Server) { s.HTTP2MaxStreams = int(n) })
	return nil
}

// HTTP2Enabled reports whether s serves HTTP/2 on l: through ALPN when l
// is an ssl listener, with prior knowledge (h2c) when it is not.
func (s *Server) HTTP2Enabled(l Listen) bool {
	switch {
	case s.HTTP2 == HTTP2Off:
		return false
	case l.HTTP2 || s.HTTP2 == HTTP2On:
		return true
	}
	return l.SSL
}
