package config

import (
	"strconv"
	"strings"
)

// try_files and variable aliases (SPEC §2a).

// This init runs after directives.go's (files initialise in name order),
// so the table exists; keeping the entry here keeps this feature's code
// in one place.
func init() {
	directives["try_files"] = directive{ctx: ctxSL, min: 2, max: -1, fn: tryFilesDirective}
}

// tryFilesDirective reads `try_files FILE ... (URI | =CODE);`: every
// argument but the last is a file to test (a trailing "/" tests a
// directory); the last is the fallback, an internal redirect to a URI
// (possibly "@name", possibly with "?args") or "=CODE".
func tryFilesDirective(p *parser, lv *level, st *stmt) error {
	tf := &TryFiles{}
	for _, a := range st.args[:len(st.args)-1] {
		if a.text == "" || hasCTL(a.text) {
			return invalid(a, st)
		}
		t, err := compileArg(a)
		if err != nil {
			return err
		}
		tf.Files = append(tf.Files, t)
	}
	last := st.args[len(st.args)-1]
	switch {
	case strings.HasPrefix(last.text, "="):
		code := last.text[1:]
		n, err := strconv.Atoi(code)
		// An error status, rendered through error_page: a 2xx or 3xx
		// without a body or Location would answer nothing useful.
		if err != nil || !allDigits(code) || n < 400 || n > 599 {
			return invalidMust(last, st, "a URI or =CODE with CODE from 400 to 599")
		}
		tf.Code = n
	case strings.HasPrefix(last.text, "@"):
		lv.namedRefs = append(lv.namedRefs, namedRef{last.text, last.pos})
		fallthrough
	case strings.HasPrefix(last.text, "/"), strings.HasPrefix(last.text, "$"):
		if hasCTL(last.text) || strings.ContainsAny(last.text, " ") {
			return invalid(last, st)
		}
		t, err := compileArg(last)
		if err != nil {
			return err
		}
		tf.Fallback = t
	default:
		return invalidMust(last, st, `a URI starting with "/", a named location "@name" or =CODE`)
	}
	// As in nginx, a server's try_files is not inherited: it serves the
	// requests that no location matches (the server's Default, whose
	// Path is ""), and a location has only its own.
	server := lv.ctx == ctxServer
	lv.loc = append(lv.loc, func(l *Location) {
		if !server || l.Path == "" {
			l.TryFiles = tf
		}
	})
	return nil
}

// aliasTemplate records an alias with variables (`location ~ ^/u/(\w+)/(.*)$
// { alias /home/$1/www/$2; }`). What it names is only known per request,
// so it is not checked at load time; the static handler's checks apply to
// what it expands to, and the server refuses an expansion that is not an
// absolute path free of ".." segments. Alias keeps the text for messages.
func aliasTemplate(p *parser, lv *level, a token) error {
	if _, err := compileArg(a); err != nil { // the error's position is in the text as written
		return err
	}
	path := a.text
	if !strings.HasPrefix(path, "$") { // "$document_root/..." is absolute when expanded
		path = p.abs(path)
	}
	t, err := CompileTemplate(path)
	if err != nil {
		return errorf(a.pos, "%v", err)
	}
	lv.loc = append(lv.loc, func(l *Location) { l.Alias, l.AliasTmpl, l.AliasFile = path, t, false })
	return nil
}
