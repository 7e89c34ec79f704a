package config

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"syscall"
	"time"
)

const (
	// maxIncludeDepth bounds nested includes; it also ends include cycles
	// that the file stack does not see (a file reached through two names).
	maxIncludeDepth = 16
	// maxIncludedFiles bounds the files one load includes in all. The
	// depth bound alone lets each level include the next several times:
	// 14 levels of three includes each are 3^14 file reads, minutes of
	// -t. Real configurations include tens of files, a host with a site
	// file per customer thousands; 10000 small files read in well under
	// a second.
	maxIncludedFiles = 10000
	// maxFileSize bounds one configuration file; real ones are a few KB, and
	// the bound keeps a mistaken include of a huge file from eating memory.
	maxFileSize = 16 << 20
)

// Load reads and parses the configuration file at path. Relative paths in
// it resolve against the file's directory. Every error is an *Error.
func Load(path string) (*Config, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, &Error{Pos: Pos{File: path, Line: 1, Col: 1}, Msg: err.Error()}
	}
	src, err := readFile(abs)
	if err != nil {
		return nil, &Error{Pos: Pos{File: path, Line: 1, Col: 1}, Msg: "cannot read configuration: " + err.Error()}
	}
	p := newParser(path, filepath.Dir(abs))
	p.files = []string{abs}
	return p.parse(src)
}

// Parse parses src as a configuration file named name (used in error
// positions and Config.File). Relative paths in it — root, alias, include,
// upload_store, ssl files and logs — resolve against dir. Every error is an
// *Error.
func Parse(name string, src []byte, dir string) (*Config, error) {
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	p := newParser(name, dir)
	p.files = []string{p.abs(name)}
	return p.parse(src)
}

// readFile reads a configuration file, refusing anything that is not a
// regular file (a directory, a FIFO, /dev/zero) or is implausibly large.
func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return nil, pe.Err
		}
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, errors.New("not a regular file")
	}
	b, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxFileSize {
		return nil, fmt.Errorf("file larger than %d bytes", maxFileSize)
	}
	return b, nil
}

// context is where a directive appears.
type context uint8

const (
	ctxMain context = 1 << iota
	ctxServer
	ctxLocation
)

// level collects the settings one block declares, as functions that apply
// them. Building a Location runs the main, server and location functions in
// that order on a fresh value of defaults, so the innermost level wins and
// every Location owns its maps and slices.
type level struct {
	ctx  context
	seen map[string]bool // directives declared at this level (duplicates)
	cfg  []func(*Config)
	srv  []func(*Server)
	loc  []func(*Location)

	server *serverBlock    // the enclosing server, for server and location levels
	cgiExt map[string]bool // extensions given to `cgi` at this level
	cgiPos *Pos            // the first `cgi` at this level, nil if none
	upload bool            // `upload_store` is given at this level

	locPath string // for a location level, its path (alias checks what it may name)

	namedRefs []namedRef // "@name" uses (try_files, error_page), checked in build
}

type serverBlock struct {
	level
	pos       Pos
	listens   []Listen
	listenTok map[string]token // address -> its listen directive
	names     []string
	nameTok   []token // parallel to names
	locs      []*locationBlock
	sslListen *token // first `listen ... ssl` seen
}

type locationBlock struct {
	level
	pos     Pos
	path    string
	exact   bool
	noRegex bool           // ^~
	named   bool           // @name
	regex   *regexp.Regexp // ~ and ~*
}

// stmt is one directive as read: its name, arguments and whether a block
// follows ("{" ended it rather than ";").
type stmt struct {
	name  token
	args  []token
	block bool
	first bool // the first of its name at this level (list directives)
	lx    *lexer
	http  bool // inside the http { } wrapper
}

type parser struct {
	name    string // main file name, for Config.File and "no server" errors
	dir     string
	files   []string // include stack (absolute paths), for cycle errors
	main    level
	servers []*serverBlock
	// glob expands include patterns; tests replace it to keep fuzzed
	// configurations inside a temporary directory.
	glob func(pattern string) ([]string, error)
	// access is access(2); tests replace it, since as root (where tests
	// often run) it grants everything.
	access func(path string, mode uint32) error

	errs     ErrorList       // recorded errors, in file order; at most maxErrors
	warnings []Warning       // directives accepted but ignored (nginx.go)
	entered  map[*token]bool // blocks whose reading has begun (statements)
	// logFormats are the log_format directives read so far, by name.
	logFormats map[string]*LogFormat
	refused    map[string]bool // unsupported directives reported once (nginx.go)

	included int // files included so far (maxIncludedFiles)
}

func newParser(name, dir string) *parser {
	return &parser{
		name:    name,
		dir:     dir,
		main:    level{ctx: ctxMain, seen: map[string]bool{}},
		glob:    filepath.Glob,
		access:  syscall.Access,
		entered: map[*token]bool{},
	}
}

func errorf(pos Pos, format string, args ...any) *Error {
	return &Error{Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

// abs resolves a path from the configuration against the directory.
func (p *parser) abs(path string) string {
	if filepath.IsAbs(path) {
		return filepath.Clean(path)
	}
	return filepath.Join(p.dir, path)
}

func (p *parser) parse(src []byte) (*Config, error) {
	p.statements(newLexer(p.name, src), &p.main, false, nil) // errors are in p.errs
	if err := p.errs.err(); err != nil {
		return nil, err
	}
	cfg, err := p.build()
	if err != nil {
		return nil, err
	}
	cfg.Warnings = p.warnings
	return cfg, nil
}

// statements reads directives into lv until the "}" that closes the block
// opened by open, or until the end of the file when open is nil (the main
// file or an included one: a block never spans files).
//
// A directive that is wrong is recorded in p.errs and reading goes on after
// it (after its block, if it opened one its function did not read), so that
// -t reports every mistake in one run, as a compiler does. Only what leaves
// the structure unknown — a lexer error, an unexpected end of file — or
// reaching maxErrors ends the reading; statements returns that error.
func (p *parser) statements(lx *lexer, lv *level, http bool, open *token) error {
	if open != nil {
		p.entered[open] = true
	}
	for {
		t, err := lx.next()
		if err != nil {
			return p.abort(err)
		}
		switch {
		case t.eof:
			if open != nil {
				return p.abort(errorf(t.pos, `unexpected end of file, expecting "}"`))
			}
			return nil
		case t.is("}"):
			if open != nil {
				return nil
			}
			if err := p.fail(errorf(t.pos, `unexpected "}"`)); err != nil {
				return err
			}
			continue
		case t.is("{"), t.is(";"):
			if err := p.fail(errorf(t.pos, "unexpected %q", t.text)); err != nil {
				return err
			}
			if t.is("{") {
				if err := skipBlock(lx); err != nil {
					return p.abort(err)
				}
			}
			continue
		}
		st := stmt{name: t, lx: lx, http: http}
		closed := false // a "}" ended the statement: it closes this block
		for {
			a, err := lx.next()
			if err != nil {
				return p.abort(err)
			}
			if a.eof {
				return p.abort(errorf(a.pos, `unexpected end of file, expecting ";" or "}"`))
			}
			if a.is(";") || a.is("{") {
				st.block = a.text == "{"
				break
			}
			if a.is("}") {
				if err := p.fail(errorf(a.pos, `unexpected "}"`)); err != nil {
					return err
				}
				closed = true
				break
			}
			st.args = append(st.args, a)
		}
		if closed {
			if open != nil {
				return nil
			}
			continue
		}
		err = p.directive(lv, &st)
		entered := p.entered[&st.name]
		delete(p.entered, &st.name)
		if err == nil {
			continue
		}
		if errors.Is(err, errStop) {
			return err
		}
		if err := p.fail(err); err != nil {
			return err
		}
		if st.block && !entered {
			if err := skipBlock(lx); err != nil {
				return p.abort(err)
			}
		}
	}
}

// maxErrors is how many errors one load reports: enough for every mistake
// of a hand-written file, few enough that a file that is not a
// configuration at all does not print pages.
const maxErrors = 20

// errStop ends the reading: maxErrors errors are recorded, or one that
// leaves the structure unknown (abort).
var errStop = errors.New("config: reading stopped")

// blockLine reads one `WORD ARG ... ;` line of a block that its directive
// reads itself rather than through statements (types, limit_except); name
// is the directive, for errors. ok is false at the block's closing "}".
func (p *parser) blockLine(st *stmt, name string) (word token, args []token, ok bool, err error) {
	word, err = st.lx.next()
	switch {
	case err != nil:
		return word, nil, false, p.abort(err)
	case word.eof:
		return word, nil, false, p.abort(errorf(word.pos, `unexpected end of file, expecting "}"`))
	case word.is("}"):
		return word, nil, false, nil
	case word.is(";") || word.is("{"):
		return word, nil, false, p.abort(errorf(word.pos, "unexpected %q in %q", word.text, name))
	}
	for {
		a, err := st.lx.next()
		switch {
		case err != nil:
			return word, nil, false, p.abort(err)
		case a.eof:
			return word, nil, false, p.abort(errorf(a.pos, `unexpected end of file, expecting ";" or "}"`))
		case a.is(";"):
			return word, args, true, nil
		case a.is("{") || a.is("}"):
			return word, nil, false, p.abort(errorf(a.pos, "unexpected %q in %q", a.text, name))
		}
		args = append(args, a)
	}
}

// abort records err, after which nothing more of the file can be read
// with confidence, and returns errStop.
func (p *parser) abort(err error) error {
	p.fail(err)
	return errStop
}

// fail records err (an *Error, or a list of them from an included file)
// and returns errStop once there are more than maxErrors: the first
// maxErrors are kept, and a last line at the next one's position says
// that the reading stopped there, so that -t does not present a cut list
// as the whole.
func (p *parser) fail(err error) error {
	var list ErrorList
	var ce *Error
	switch {
	case errors.As(err, &list):
		p.errs = append(p.errs, list...)
	case errors.As(err, &ce):
		p.errs = append(p.errs, ce)
	default:
		p.errs = append(p.errs, &Error{Pos: Pos{File: p.name, Line: 1, Col: 1}, Msg: err.Error()})
	}
	if len(p.errs) > maxErrors {
		next := p.errs[maxErrors]
		p.errs = append(p.errs[:maxErrors], &Error{Pos: next.Pos, Msg: fmt.Sprintf("too many errors: the first %d are shown; the configuration is not read past here", maxErrors)})
		return errStop
	}
	return nil
}

// skipBlock reads past the "}" that closes a block whose "{" was just
// read, for a directive that failed before reading its block.
func skipBlock(lx *lexer) error {
	for depth := 1; depth > 0; {
		t, err := lx.next()
		if err != nil {
			return err
		}
		switch {
		case t.eof:
			return errorf(t.pos, `unexpected end of file, expecting "}"`)
		case t.is("{"):
			depth++
		case t.is("}"):
			depth--
		}
	}
	return nil
}

// directive checks a statement against the directive table in nginx's
// order — known, allowed here, block or not, argument count, duplicate —
// and then lets the directive's own function check its values.
func (p *parser) directive(lv *level, st *stmt) error {
	name := st.name.text
	d, ok := directives[name]
	if !ok {
		return errorf(st.name.pos, "unknown directive %q", name)
	}
	if d.ctx&lv.ctx == 0 || (name == "http" && st.http) {
		return errorf(st.name.pos, "%q directive is not allowed here", name)
	}
	if d.block && !st.block && !d.blockOpt {
		return errorf(st.name.pos, `directive %q has no opening "{"`, name)
	}
	if !d.block && st.block && !d.blockOpt {
		return errorf(st.name.pos, `directive %q is not terminated by ";"`, name)
	}
	if n := len(st.args); n < d.min || (d.max >= 0 && n > d.max) {
		return errorf(st.name.pos, "invalid number of arguments in %q directive", name)
	}
	key := name
	if d.same != "" {
		key = d.same
	}
	if lv.seen[key] && !d.repeat {
		return errorf(st.name.pos, "%q directive is duplicate", name)
	}
	st.first = !lv.seen[key]
	lv.seen[key] = true
	return d.fn(p, lv, st)
}

// include expands pattern (relative to the configuration directory) and
// reads each file, in sorted order, as directives of the level lv.
func (p *parser) include(lv *level, st *stmt) error {
	arg := st.args[0]
	if arg.text == "" {
		return invalid(arg, st)
	}
	if len(p.files) > maxIncludeDepth {
		return errorf(arg.pos, "include nesting deeper than %d", maxIncludeDepth)
	}
	pattern := p.abs(arg.text)
	matches, err := p.glob(pattern)
	if err != nil {
		return errorf(arg.pos, "invalid include pattern %q: %v", arg.text, err)
	}
	glob := strings.ContainsAny(arg.text, `*?[\`)
	if len(matches) == 0 && !glob {
		return errorf(arg.pos, "include file %q does not exist", pattern)
	}
	sort.Strings(matches)
	for _, m := range matches {
		if glob {
			if fi, err := os.Stat(m); err == nil && fi.IsDir() {
				continue // "conf.d/*" should not trip over a subdirectory
			}
		}
		for _, f := range p.files {
			if f == m {
				return errorf(arg.pos, "include cycle: %q includes itself", m)
			}
		}
		if p.included++; p.included > maxIncludedFiles {
			// Every further include would fail alike: stop reading.
			return p.abort(errorf(arg.pos, "more than %d files included in one load (does an include repeat itself?)", maxIncludedFiles))
		}
		src, err := readFile(m)
		if err != nil {
			return errorf(arg.pos, "cannot read include file %q: %v", m, err)
		}
		p.files = append(p.files, m)
		err = p.statements(newLexer(m, src), lv, st.http, nil)
		p.files = p.files[:len(p.files)-1]
		if err != nil {
			return err
		}
	}
	return nil
}

// Defaults (SPEC §2).
const (
	defaultMaxConnections      = 10000
	defaultShutdownTimeout     = 30 * time.Second
	defaultClientHeaderTimeout = 10 * time.Second
	defaultKeepaliveTimeout    = 75 * time.Second
	defaultKeepaliveRequests   = 1000
	defaultSendTimeout         = 60 * time.Second
	defaultClientMaxURILength  = 8 << 10
	defaultClientMaxHeaderSize = 32 << 10
	defaultMaxBodySize         = 1 << 20
	defaultCGITimeout          = 60 * time.Second
	defaultBodyTimeout         = 60 * time.Second
	defaultType                = "application/octet-stream"
)

func (p *parser) newLocation() *Location {
	return &Location{
		Root:            filepath.Join(p.dir, "html"),
		Index:           []string{"index.html"},
		MaxBodySize:     defaultMaxBodySize,
		Methods:         []string{"GET", "HEAD", "OPTIONS"},
		CGITimeout:      defaultCGITimeout,
		BodyTimeout:     defaultBodyTimeout,
		DefaultType:     defaultType,
		DisableSymlinks: true,
		UploadSandbox:   true,
		Compress:        defaultCompress(), // compress.go
	}
}

// build turns the collected levels into the inherited, validated Config.
func (p *parser) build() (*Config, error) {
	cfg := &Config{
		File:            p.name,
		MaxConnections:  defaultMaxConnections,
		ShutdownTimeout: defaultShutdownTimeout,
		ErrorLog:        "stderr",
		ErrorLogLevel:   "info",
	}
	for _, f := range p.main.cfg {
		f(cfg)
	}
	if len(p.servers) == 0 {
		return nil, errorf(Pos{File: p.name, Line: 1, Col: 1}, `no "server" block`)
	}
	p.mergeDualStack() // nginx.go
	type addrState struct {
		def   *Listen
		names map[string]bool
	}
	addrs := map[string]*addrState{}
	for _, sb := range p.servers {
		s := &Server{
			Pos:                 sb.pos,
			Listens:             sb.listens,
			Names:               sb.names,
			ClientHeaderTimeout: defaultClientHeaderTimeout,
			KeepaliveTimeout:    defaultKeepaliveTimeout,
			KeepaliveRequests:   defaultKeepaliveRequests,
			SendTimeout:         defaultSendTimeout,
			ClientMaxURILength:  defaultClientMaxURILength,
			ClientMaxHeaderSize: defaultClientMaxHeaderSize,
			AccessLogFormat:     "combined",
		}
		for _, f := range p.main.srv {
			f(s)
		}
		for _, f := range sb.srv {
			f(s)
		}
		if err := p.checkNamed(sb); err != nil {
			return nil, err
		}
		var err error
		if s.Default, err = p.location(sb, nil); err != nil {
			return nil, err
		}
		for _, lb := range sb.locs {
			l, err := p.location(sb, lb)
			if err != nil {
				return nil, err
			}
			s.Locations = append(s.Locations, l)
		}
		cfg.Servers = append(cfg.Servers, s)

		// One address, many servers: one default, distinct names.
		for i := range s.Listens {
			l := &s.Listens[i]
			as := addrs[l.Addr]
			if as == nil {
				as = &addrState{names: map[string]bool{}}
				addrs[l.Addr] = as
			}
			if l.DefaultServer {
				if as.def != nil {
					return nil, errorf(l.Pos, "a duplicate default server for %s", l.Addr)
				}
				as.def = l
			}
		}
		for i, n := range s.Names {
			for _, l := range s.Listens {
				if addrs[l.Addr].names[n] {
					return nil, errorf(sb.nameTok[i].pos, "conflicting server name %q on %s", n, l.Addr)
				}
			}
		}
		for _, n := range s.Names {
			for _, l := range s.Listens {
				addrs[l.Addr].names[n] = true
			}
		}
	}
	// SPEC §5: a file that some `cgi` could run is never sent and never
	// stored by an upload, whichever server or location reaches it — a
	// file uploaded through one virtual host may lie under another's
	// root, and an alias or a regex location may reach a script under a
	// name its own location does not run.
	exts := p.cgiExts()
	for _, s := range cfg.Servers {
		s.Default.ScriptExts = exts
		for _, l := range s.Locations {
			l.ScriptExts = exts
		}
	}
	return cfg, nil
}

// location builds the Location for lb in sb, or sb's Default when lb is nil.
//
// A location with an upload store runs no CGI (SPEC §5): what anyone
// could upload must never become a program. A `cgi` declared where the
// upload store applies — at the upload_store's level or below it — is an
// error; one inherited from further out is dropped there.
func (p *parser) location(sb *serverBlock, lb *locationBlock) (*Location, error) {
	l := p.newLocation()
	l.Pos = sb.pos
	levels := []*level{&p.main, &sb.level}
	if lb != nil {
		l.Pos, l.Path, l.Exact = lb.pos, lb.path, lb.exact
		l.Regex, l.NoRegex, l.Named = lb.regex, lb.noRegex, lb.named
		levels = append(levels, &lb.level)
	}
	cgiAt, uploadAt := -1, -1
	for i, lv := range levels {
		for _, f := range lv.loc {
			f(l)
		}
		if lv.cgiPos != nil {
			cgiAt = i
		}
		if lv.upload {
			uploadAt = i
		}
	}
	if l.UploadStore != "" && len(l.CGI) > 0 {
		if cgiAt >= uploadAt {
			return nil, errorf(*levels[cgiAt].cgiPos, `"cgi" is not allowed where "upload_store" applies: an uploaded file must never run`)
		}
		l.CGI = nil
	}
	l.Captures = l.Regex != nil && usesCaptures(l)
	return l, nil
}

// cgiExts lists the extensions of every `cgi` directive of the
// configuration (main level, every server and location), in lower case,
// each once.
func (p *parser) cgiExts() []string {
	var exts []string
	add := func(m map[string]bool) {
		for e := range m {
			e = strings.ToLower(e)
			if !slices.Contains(exts, e) {
				exts = append(exts, e)
			}
		}
	}
	add(p.main.cgiExt)
	for _, sb := range p.servers {
		add(sb.cgiExt)
		for _, lb := range sb.locs {
			add(lb.cgiExt)
		}
	}
	slices.Sort(exts)
	return exts
}
