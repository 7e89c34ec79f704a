package config

import "fmt"

// token is one word of a configuration file. The structural characters
// ";", "{" and "}" are tokens of their own unless quoted; quoted tells them
// apart from the same text written inside quotes, which is an argument.
type token struct {
	text   string
	pos    Pos
	quoted bool
	eof    bool // end of input; pos is just past the last byte
}

// is reports whether t is the unquoted structural or literal word s.
func (t token) is(s string) bool { return !t.quoted && !t.eof && t.text == s }

// lexer splits a configuration file into tokens, tracking 1-based line and
// byte column the way Caddy's caddyfile lexer does. It is incremental so
// that the first error in file order is the one reported.
type lexer struct {
	file string
	src  []byte
	off  int
	line int
	col  int
}

func newLexer(file string, src []byte) *lexer {
	l := &lexer{file: file, src: src, line: 1, col: 1}
	// A UTF-8 byte order mark is not a token; skip it but keep counting
	// bytes so that columns stay byte offsets.
	if len(src) >= 3 && src[0] == 0xEF && src[1] == 0xBB && src[2] == 0xBF {
		l.off, l.col = 3, 4
	}
	return l
}

func (l *lexer) pos() Pos { return Pos{File: l.file, Line: l.line, Col: l.col} }

func (l *lexer) advance() byte {
	c := l.src[l.off]
	l.off++
	if c == '\n' {
		l.line++
		l.col = 1
	} else {
		l.col++
	}
	return c
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// isDelim reports whether c ends an unquoted word.
func isDelim(c byte) bool { return isSpace(c) || c == ';' || c == '{' || c == '}' }

// next returns the next token, or a token with eof set at the end of input.
func (l *lexer) next() (token, error) {
	for l.off < len(l.src) {
		c := l.src[l.off]
		if isSpace(c) {
			l.advance()
			continue
		}
		if c == '#' { // a comment only where a token could start: "a#b" is one word
			for l.off < len(l.src) && l.src[l.off] != '\n' {
				l.advance()
			}
			continue
		}
		break
	}
	start := l.pos()
	if l.off >= len(l.src) {
		return token{pos: start, eof: true}, nil
	}
	switch c := l.src[l.off]; c {
	case ';', '{', '}':
		l.advance()
		return token{text: string(c), pos: start}, nil
	case '"', '\'':
		return l.quoted(start)
	}
	begin := l.off
	for l.off < len(l.src) && !isDelim(l.src[l.off]) {
		l.advance()
	}
	return token{text: string(l.src[begin:l.off]), pos: start}, nil
}

// quoted reads a quoted word starting at the opening quote. Inside, a
// backslash escapes the quote characters and itself, and \n and \t stand
// for newline and tab; any other backslash is kept as written (nginx does
// the same).
func (l *lexer) quoted(start Pos) (token, error) {
	q := l.advance()
	var buf []byte
	for {
		if l.off >= len(l.src) {
			return token{}, &Error{Pos: start, Msg: "unterminated quoted string"}
		}
		c := l.advance()
		if c == q {
			break
		}
		if c == '\\' && l.off < len(l.src) {
			switch n := l.src[l.off]; n {
			case '"', '\'', '\\':
				c = n
				l.advance()
			case 'n':
				c = '\n'
				l.advance()
			case 't':
				c = '\t'
				l.advance()
			}
		}
		buf = append(buf, c)
	}
	if l.off < len(l.src) && !isDelim(l.src[l.off]) {
		return token{}, &Error{Pos: l.pos(), Msg: fmt.Sprintf("unexpected %q after quoted string", l.src[l.off:l.off+1])}
	}
	return token{text: string(buf), pos: start, quoted: true}, nil
}
