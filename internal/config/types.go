package config

import "strings"

// `types { MIME EXT ...; }` maps file extensions to media types, as
// nginx's does, so that `include mime.types;` of the stock file works.
// A level that declares types replaces the table it would inherit (the
// built-in one at the top); several types blocks at one level add up
// (nginx's ngx_http_core_types).

func init() {
	directives["types"] = directive{ctx: ctxAny, block: true, repeat: true, fn: typesBlock}
}

// maxTypes bounds one level's table: the stock mime.types has about 110
// entries, and the bound keeps a mistaken include from building a huge map.
const maxTypes = 10000

func typesBlock(p *parser, lv *level, st *stmt) error {
	p.entered[&st.name] = true // read here, not by statements
	m := map[string]string{}
	for {
		t, args, ok, err := p.blockLine(st, "types")
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		typ := t.text
		bad := !strings.Contains(typ, "/") || hasCTL(typ)
		if bad {
			if err := p.fail(errorf(t.pos, "invalid MIME type %q in \"types\"", typ)); err != nil {
				return err
			}
		}
		for _, a := range args {
			ext := strings.ToLower(a.text)
			if ext == "" || strings.ContainsAny(ext, "./") || hasCTL(ext) {
				if err := p.fail(errorf(a.pos, "invalid extension %q in \"types\"", a.text)); err != nil {
					return err
				}
				continue
			}
			if bad {
				continue
			}
			if len(m) >= maxTypes {
				return p.abort(errorf(a.pos, "more than %d extensions in \"types\"", maxTypes))
			}
			// A later type for the same extension wins, as in nginx
			// (which warns; the stock file has no duplicates).
			m["."+ext] = typ
		}
		if len(args) == 0 {
			if err := p.fail(errorf(t.pos, "no extension for MIME type %q in \"types\"", typ)); err != nil {
				return err
			}
		}
	}
	first := st.first
	lv.loc = append(lv.loc, func(l *Location) {
		if first || l.Types == nil {
			l.Types = m // read-only once built: Locations may share it
			return
		}
		merged := make(map[string]string, len(l.Types)+len(m))
		for k, v := range l.Types {
			merged[k] = v
		}
		for k, v := range m {
			merged[k] = v
		}
		l.Types = merged
	})
	return nil
}
