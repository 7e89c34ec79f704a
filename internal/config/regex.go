package config

import (
	"regexp"
	"strings"
)

// Regular expression and named locations (SPEC §2: location forms).

// compileLocationRegex compiles the pattern of `location ~ RE` (or ~*,
// caseless). webserv uses Go's RE2 syntax, which has no lookaround and no
// backreferences: such a pattern is a load error that says so, rather
// than a location that never matches.
func compileLocationRegex(t token, caseless bool) (*regexp.Regexp, error) {
	if t.text == "" {
		return nil, errorf(t.pos, "empty regular expression in location")
	}
	src := t.text
	if caseless {
		src = "(?i)" + src
	}
	re, err := regexp.Compile(src)
	if err != nil {
		return nil, errorf(t.pos, "invalid regular expression %q: %v (webserv uses Go's RE2 syntax: no lookahead, lookbehind or backreferences)",
			t.text, strings.TrimPrefix(err.Error(), "error parsing regexp: "))
	}
	return re, nil
}

// validName reports whether s is a usable name for `location @name`.
func validName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isVarByte(s[i]) && s[i] != '-' && s[i] != '.' {
			return false
		}
	}
	return true
}

// usesCaptures reports whether any of l's templates names $1...$9.
func usesCaptures(l *Location) bool {
	if l.AliasTmpl.UsesCaptures() {
		return true
	}
	if l.Return != nil && l.Return.Tmpl.UsesCaptures() {
		return true
	}
	for _, h := range l.AddHeaders {
		if h.Tmpl.UsesCaptures() {
			return true
		}
	}
	for _, t := range l.ErrorPageTmpls {
		if t.UsesCaptures() {
			return true
		}
	}
	if tf := l.TryFiles; tf != nil {
		if tf.Fallback.UsesCaptures() {
			return true
		}
		for _, f := range tf.Files {
			if f.UsesCaptures() {
				return true
			}
		}
	}
	return false
}

// namedRef is a use of "@name" (try_files, error_page), checked once the
// server's locations are known: a missing named location is a load
// error, not a 500 at request time.
type namedRef struct {
	name string
	pos  Pos
}

// checkNamed checks the named locations that the levels of sb refer to.
func (p *parser) checkNamed(sb *serverBlock) error {
	have := map[string]bool{}
	for _, lb := range sb.locs {
		if lb.named {
			have[lb.path] = true
		}
	}
	refs := append(append([]namedRef(nil), p.main.namedRefs...), sb.namedRefs...)
	for _, lb := range sb.locs {
		refs = append(refs, lb.namedRefs...)
	}
	for _, r := range refs {
		if !have[r.name] {
			return errorf(r.pos, "named location %q is not defined in this server", r.name)
		}
	}
	return nil
}
