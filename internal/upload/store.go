package upload

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"webserv/internal/fspolicy"
	"webserv/internal/http1"
)

// copyBufSize is the one buffer a request streams its body through: large
// enough that a file write is a few pages, small enough that thousands of
// concurrent uploads cost little.
const copyBufSize = 32 << 10

// tempPrefix starts every temporary file name. The leading dot hides it
// from listings; Sanitize never returns a name with a leading dot, so a
// stored file can never be mistaken for (or collide with) one.
const tempPrefix = ".upload-"

// seqTries is how many numbered names ("a-1.txt" … "a-8.txt") POST tries
// after the name itself. Past them the suffix is random: counting on
// through a store that already holds a-1 … a-10000 would cost one link(2)
// per existing name for every file stored, seconds of CPU for one
// request, while a random suffix is free on the first try whatever the
// store holds.
const seqTries = 8

// randTries bounds the random-suffix names tried after seqTries. With 40
// random bits a collision is already one in a trillion; several in a row
// mean something other than bad luck, answered 409.
const randTries = 4

// fileMode is the mode of stored files, set explicitly so that the process
// umask does not decide whether other users (a separate static server, a
// CGI program) can read uploads.
const fileMode = 0o644

// store writes files under one os.Root for the duration of a request.
type store struct {
	root    *os.Root // shared with other requests to the store (Roots)
	release func()   // gives root back
	buf     []byte   // copyBufSize, the only body buffer of the request
	// body is the request body; its first error is the one returned.
	body  *bodyReader
	hooks *hooks // a test's (roots.go)
	// written are temporary files of this request not named yet: a POST
	// names its files only when the whole request has been read (commit).
	written []written
	// created are the final names (relative to root) stored by this
	// request, removed again if the request fails (all-or-nothing).
	created []string
	// cgiExts are the configuration's cgi extensions
	// (config.Location.ScriptExts): save refuses a name ending in one,
	// whatever its case, as some location could run it (SPEC §5: an
	// uploaded file must never become a program).
	cgiExts []string
}

// written is a file written to a temporary name, waiting for commit.
type written struct {
	tmp, name string // temporary name, wanted name (sanitised)
}

func openStore(env *Env, dir string, body io.Reader) (*store, error) {
	h := env.testHooks()
	if err := h.fsErr("open store"); err != nil {
		return nil, fsError("open store", err)
	}
	root, release, err := env.roots().open(dir)
	if err != nil {
		return nil, err
	}
	return &store{root: root, release: release, buf: make([]byte, copyBufSize), body: &bodyReader{r: body}, hooks: h}, nil
}

func (s *store) close() { s.release() }

// bodyReader remembers the first error of the request body other than
// io.EOF, so that it can be returned unchanged however deep in multipart
// or io.Copy it surfaced.
type bodyReader struct {
	r   io.Reader
	err error
}

func (b *bodyReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err != nil && err != io.EOF && b.err == nil {
		b.err = err
	}
	return n, err
}

// fileWriter hides *os.File's ReadFrom from io.CopyBuffer (so the fixed
// buffer is used) and remembers write errors, to tell them from read ones.
type fileWriter struct {
	f     *os.File
	err   error
	hooks *hooks
}

func (w *fileWriter) Write(p []byte) (int, error) {
	if err := w.hooks.fsErr("write"); err != nil {
		w.err = err
		return 0, err
	}
	n, err := w.f.Write(p)
	if err != nil && w.err == nil {
		w.err = err
	}
	return n, err
}

// readerOnly hides a WriterTo, for the same reason.
type readerOnly struct{ io.Reader }

// writeTemp streams src to a new temporary file in dir (relative to the
// root, "" for the root itself), fsyncs it when durable, closes it, and
// returns its name and size. On error nothing is left behind.
func (s *store) writeTemp(dir string, src io.Reader, durable bool) (string, int64, error) {
	var (
		f   *os.File
		tmp string
		err error
	)
	for range 10 {
		tmp = path.Join(dir, tempPrefix+randomHex(8))
		if err = s.hooks.fsErr("create"); err != nil {
			break
		}
		f, err = s.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fileMode)
		if !errors.Is(err, fs.ErrExist) {
			break
		}
	}
	if err != nil {
		return "", 0, fsError("create temporary file", err)
	}
	fw := &fileWriter{f: f, hooks: s.hooks}
	n, err := io.CopyBuffer(fw, readerOnly{src}, s.buf)
	if err == nil {
		err = f.Chmod(fileMode)
	}
	if err == nil && durable {
		err = s.sync(f)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		s.root.Remove(tmp)
		return "", 0, s.copyError(fw, err)
	}
	return tmp, n, nil
}

// sync fsyncs f, a file being stored.
func (s *store) sync(f *os.File) error {
	if err := s.hooks.fsErr("sync"); err != nil {
		return err
	}
	s.hooks.synced()
	return f.Sync()
}

// commit stores the files a POST wrote, once its whole body has been
// read: each temporary file is fsynced, then gets its final name
// (linkUnique), and the directory is fsynced. Deferring the fsyncs to
// here means a request refused half-way — its 1,001st file, a part
// header too large, a body cut off — costs none for the files it throws
// away, where fsyncing each as it was written made such a request cost
// seconds of disk time, and it can be repeated forever. A name is
// still given only to a complete, fsynced file. It returns the final
// names, in order.
func (s *store) commit() ([]string, error) {
	names := make([]string, 0, len(s.written))
	for len(s.written) > 0 {
		wf := s.written[0]
		if err := s.syncTemp(wf.tmp); err != nil {
			return nil, err
		}
		s.written = s.written[1:]
		final, err := s.linkUnique("", wf.tmp, wf.name) // removes tmp
		if err != nil {
			return nil, err
		}
		names = append(names, final)
	}
	s.syncDir("")
	return names, nil
}

// syncTemp fsyncs the temporary file tmp (closed since writeTemp).
func (s *store) syncTemp(tmp string) error {
	f, err := s.root.Open(tmp)
	if err != nil {
		return fsError("sync", err)
	}
	err = s.sync(f)
	f.Close()
	if err != nil {
		return fsError("sync", err)
	}
	return nil
}

// copyError decides what a failed copy reports: the body's own error
// unchanged, a disk error, or (a read error that is not the body's) a
// malformed multipart body.
func (s *store) copyError(fw *fileWriter, err error) error {
	if s.body.err != nil {
		return s.body.err
	}
	if fw != nil && fw.err != nil || !isReadSide(err) {
		return fsError("write", err)
	}
	return &http1.StatusError{Status: 400, Msg: "malformed multipart body"}
}

// isReadSide reports whether err can only have come from the reading side
// of a copy (the multipart parser): the file system's are *fs.PathError.
func isReadSide(err error) bool {
	var pe *fs.PathError
	return !errors.As(err, &pe)
}

// linkUnique gives the temporary file tmp a final name in dir that did not
// exist before: name, then name-1.ext … name-8.ext, then name-<random>.ext
// (see seqTries): at most seqTries+randTries+1 probes per file, whatever
// the store holds. Creating the name with link(2) is the atomic "create if
// absent" that makes concurrent uploads of one name safe. It returns the
// final name (without dir).
func (s *store) linkUnique(dir, tmp, name string) (string, error) {
	defer s.root.Remove(tmp)
	for i := 0; i <= seqTries+randTries; i++ {
		cand := numbered(name, i)
		if i > seqTries {
			cand = suffixed(name, randomHex(5))
		}
		s.hooks.probed()
		final := path.Join(dir, cand)
		err := s.root.Link(tmp, final)
		if err == nil {
			s.created = append(s.created, final)
			return cand, nil
		}
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		// No hard links here (EPERM on vfat and some FUSE file systems,
		// ENOTSUP elsewhere): reserve the name exclusively, then rename
		// the finished file over the reservation.
		ok, err := s.reserveRename(tmp, final)
		if err != nil {
			return "", err
		}
		if ok {
			s.created = append(s.created, final)
			return cand, nil
		}
	}
	return "", &http1.StatusError{Status: 409, Msg: "no free file name"}
}

// reserveRename is linkUnique's fallback for one candidate name. ok is
// false when the name was taken.
func (s *store) reserveRename(tmp, final string) (bool, error) {
	f, err := s.root.OpenFile(final, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fileMode)
	if errors.Is(err, fs.ErrExist) {
		return false, nil
	}
	if err != nil {
		return false, fsError("create", err)
	}
	f.Close()
	if err := s.root.Rename(tmp, final); err != nil {
		s.root.Remove(final)
		return false, fsError("rename", err)
	}
	return true, nil
}

// syncDir fsyncs dir so that the new names survive a crash. It is best
// effort: the files themselves are complete, and some file systems refuse
// to fsync a directory.
func (s *store) syncDir(dir string) {
	if dir == "" {
		dir = "."
	}
	if d, err := s.root.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// rollback removes every file this request stored or wrote.
func (s *store) rollback() {
	for _, wf := range s.written {
		s.root.Remove(wf.tmp)
	}
	s.written = nil
	for _, name := range s.created {
		s.root.Remove(name)
	}
	if len(s.created) > 0 {
		s.syncDir(path.Dir(s.created[0]))
	}
	s.created = nil
}

// numbered returns name for i == 0, else name with "-i" before its
// extension ("a.txt" → "a-1.txt", "x.tar.gz" → "x-1.tar.gz"), cut so that
// the result stays within maxName bytes.
func numbered(name string, i int) string {
	if i == 0 {
		return name
	}
	return suffixed(name, strconv.Itoa(i))
}

// suffixed returns name with "-tag" before its extension, cut so that the
// result stays within maxName bytes.
func suffixed(name, tag string) string {
	stem, ext := splitExt(name)
	suffix := "-" + tag + ext
	stem = cutRunes(stem, maxName-len(suffix))
	return stem + suffix
}

// splitExt splits name before its extension; a ".tar" before a final
// compression extension belongs to it.
func splitExt(name string) (stem, ext string) {
	ext = filepath.Ext(name)
	if len(ext) == len(name) || len(ext) > maxExt {
		return name, ""
	}
	stem = name[:len(name)-len(ext)]
	if t := filepath.Ext(stem); strings.EqualFold(t, ".tar") && len(t) < len(stem) {
		stem, ext = stem[:len(stem)-len(t)], t+ext
	}
	return stem, ext
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails (crypto/rand, Go 1.24+)
	return hex.EncodeToString(b)
}

// errForbidden refuses to delete what is not a file or a symlink.
var errForbidden = &http1.StatusError{Status: 403, Msg: "forbidden"}

// fsError maps a file system error to its status (fspolicy.Status):
// no permission (a read-only file system included) 403 and a full disk
// or quota 507 come as a causeError, which the server logs, since only
// the operator can fix them; missing 404 and out of descriptors 503 (the
// client may retry) as the status alone. Anything else is returned
// wrapped, for the caller to answer 500 and log.
func fsError(op string, err error) error {
	switch se := fspolicy.Status(err); se {
	case nil:
		return fmt.Errorf("upload: %s: %w", op, err)
	case fspolicy.Denied, fspolicy.NoSpace:
		return &causeError{status: se, op: op, err: err}
	default:
		return se
	}
}

// causeError is a status answered for a file system error together with
// that error: the client gets the status, the error log the cause (the
// server logs a status error that comes wrapped with one).
type causeError struct {
	status *http1.StatusError
	op     string
	dir    string // the store (or DELETE's base); os.Root's errors name paths relative to it
	err    error
}

func (e *causeError) Error() string {
	if e.dir == "" {
		return "upload: " + e.op + ": " + e.err.Error()
	}
	return "upload: " + e.op + " in " + e.dir + ": " + e.err.Error()
}

func (e *causeError) Unwrap() []error { return []error{e.status, e.err} }

// inDir names dir in err's message when err is a causeError, so that the
// log line says which directory failed.
func inDir(err error, dir string) error {
	var ce *causeError
	if errors.As(err, &ce) && ce.dir == "" {
		ce.dir = dir
	}
	return err
}
