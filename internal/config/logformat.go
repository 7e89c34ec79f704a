package config

import (
	"errors"
	"strings"

	"webserv/internal/accesslog"
)

// `log_format NAME [escape=default|json|none] TEXT ...;` defines an access
// log format that `access_log PATH NAME;` uses, as in nginx. Its variables
// are checked here, so that a typo is a load error with its position
// rather than a literal "$remtoe_addr" in every line.

func init() {
	directives["log_format"] = directive{ctx: ctxMain, min: 2, max: -1, repeat: true, fn: logFormatDirective}
}

func logFormatDirective(p *parser, lv *level, st *stmt) error {
	name := st.args[0]
	if name.text == "combined" || name.text == "json" {
		return errorf(name.pos, "log format %q is built in", name.text)
	}
	if !isToken(name.text) {
		return invalid(name, st)
	}
	if p.logFormats[name.text] != nil {
		return errorf(name.pos, "duplicate \"log_format\" name %q", name.text)
	}
	args := st.args[1:]
	lf := &LogFormat{Name: name.text, Escape: "default"}
	esc := accesslog.EscapeDefault
	if v, ok := strings.CutPrefix(args[0].text, "escape="); ok && !args[0].quoted {
		e, ok := accesslog.ParseEscape(v)
		if !ok {
			return invalidMust(args[0], st, `"escape=default", "escape=json" or "escape=none"`)
		}
		esc, lf.Escape = e, v
		args = args[1:]
		if len(args) == 0 {
			return errorf(st.name.pos, "invalid number of arguments in %q directive", st.name.text)
		}
	}
	var text strings.Builder
	for _, a := range args {
		if hasCTL(a.text) && strings.ContainsAny(a.text, "\r\n") {
			return errorf(a.pos, "a log format cannot contain a line break")
		}
		// Each argument is compiled alone for the error's position; a
		// variable never spans two arguments.
		if _, err := accesslog.Compile(a.text, esc); err != nil {
			var ve *accesslog.VarError
			if errors.As(err, &ve) {
				pos := a.pos
				pos.Col += ve.Off
				if a.quoted {
					pos.Col++
				}
				return &Error{Pos: pos, Msg: ve.Msg}
			}
			return errorf(a.pos, "%v", err)
		}
		text.WriteString(a.text)
	}
	lf.Text = text.String()
	if p.logFormats == nil {
		p.logFormats = map[string]*LogFormat{}
	}
	p.logFormats[name.text] = lf
	return nil
}
