package fspolicy

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	"webserv/internal/config"
	"webserv/internal/http1"
)

// The statuses of everyday file-system failures are shared values (a 404
// allocates nothing); their messages are the cause the error log gives at
// debug.
var (
	NotFound      = &http1.StatusError{Status: 404, Msg: "file not found"}
	Denied        = &http1.StatusError{Status: 403, Msg: "permission denied"}
	NoDescriptors = &http1.StatusError{Status: 503, Msg: "out of file descriptors"}
	// NoSpace: a full disk or quota (RFC 4918 §11.5, as nginx's DAV
	// module answers).
	NoSpace = &http1.StatusError{Status: 507, Msg: "insufficient storage"}
	// Outside: disable_symlinks on refused a file whose real path leaves
	// the root; a 404, as nginx answers, so that nothing tells the
	// client the file exists.
	Outside = &http1.StatusError{Status: 404, Msg: "symlink leads outside the root (disable_symlinks on)"}
)

// Status returns the status a file-system error answers, or nil when it
// is none of the everyday failures (the caller answers 500 and logs it):
// missing (also a path through a non-directory, or a name too long for
// the file system) 404; no permission, a read-only file system included,
// 403; out of descriptors 503 (the client may retry); a full disk or
// quota 507.
func Status(err error) *http1.StatusError {
	switch {
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOTDIR), errors.Is(err, syscall.ENAMETOOLONG):
		return NotFound
	case errors.Is(err, fs.ErrPermission), errors.Is(err, syscall.EROFS):
		return Denied
	case errors.Is(err, syscall.EMFILE), errors.Is(err, syscall.ENFILE):
		return NoDescriptors
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return NoSpace
	}
	return nil
}

// Error maps err to its status (Status), or returns it unchanged when it
// has none: a handler returns it as is, and the server answers 500.
func Error(err error) error {
	if se := Status(err); se != nil {
		return se
	}
	return err
}

// Base is the directory loc's files are mapped into: its alias, or else
// its root.
func Base(loc *config.Location) string {
	if loc.Alias != "" {
		return loc.Alias
	}
	return loc.Root
}

// Bases remembers the resolved root or alias of each location: roots are
// checked at configuration load and rarely move, and resolving one costs
// an lstat per path component. One configuration owns one Bases (the
// server makes it with the configuration), so that a reload resolves its
// roots afresh; a root that is itself a symlink re-pointed while the
// server runs keeps its old target until the next reload. The zero value
// is ready; a nil *Bases resolves every time.
type Bases struct {
	m sync.Map // configured path → real path
}

// Real returns the real path of loc's Base.
func (b *Bases) Real(loc *config.Location) (string, error) {
	base := Base(loc)
	if b != nil {
		if v, ok := b.m.Load(base); ok {
			return v.(string), nil
		}
	}
	real, err := filepath.EvalSymlinks(base)
	if err != nil {
		return "", err
	}
	if b != nil {
		b.m.Store(base, real)
	}
	return real, nil
}

// CheckSymlinks applies disable_symlinks on to a path, for handlers that
// do not open the file themselves (CGI hands it to a program): its real
// path must lie inside the location's real root or alias, else Outside.
// Errors are mapped by Error.
func CheckSymlinks(b *Bases, loc *config.Location, path string) error {
	if !loc.DisableSymlinks {
		return nil
	}
	base, err := b.Real(loc)
	if err != nil {
		return Error(err)
	}
	// Below the base, a path with no symlink lies where its text says:
	// within. Looking at those components only spares an lstat for each
	// of the base's own (Real resolved it once); the first symlink among
	// them sends the whole path through EvalSymlinks.
	if plain, err := plainBelow(Base(loc), path); err != nil {
		return Error(err)
	} else if plain {
		return nil
	}
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return Error(err)
	}
	if !Within([]byte(real), base) {
		return Outside
	}
	return nil
}

// plainBelow reports whether path is base or lies under it by its text,
// with none of the components after base a symlink (one lstat each). A
// path that is not under base, or one with "." or ".." components, is not
// plain; a missing component is an error.
func plainBelow(base, path string) (bool, error) {
	if base != "/" {
		base = strings.TrimRight(base, "/")
	}
	if path == base {
		return true, nil
	}
	if !strings.HasPrefix(path, base) || len(base) == 0 || base != "/" && path[len(base)] != '/' {
		return false, nil
	}
	dir := true // the last component checked (the base: a directory)
	for i := len(base) + 1; i <= len(path); i++ {
		if i < len(path) && path[i] != '/' {
			continue
		}
		prefix := path[:i]
		switch seg := prefix[strings.LastIndexByte(prefix, '/')+1:]; seg {
		case "", ".", "..":
			if i == len(path) && seg == "" {
				// A trailing slash: plain after a directory; after a
				// file the full resolution reports ENOTDIR.
				return dir, nil
			}
			return false, nil
		}
		fi, err := os.Lstat(prefix)
		if err != nil {
			return false, err
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			return false, nil
		}
		dir = fi.IsDir()
	}
	return true, nil
}

// Within reports whether the real path p is base or lies under it.
func Within(p []byte, base string) bool {
	if base == "/" {
		return true
	}
	return string(p) == base || len(p) > len(base) && string(p[:len(base)]) == base && p[len(base)] == '/'
}

// Escapes reports whether rel (slash-separated, relative to base)
// resolves, through symlinks, to a place outside base. A path that does
// not resolve at all does not escape. For handlers that already work
// beneath base (os.Root refuses such paths) and only pick the status to
// answer.
func Escapes(base, rel string) bool {
	realBase, err := filepath.EvalSymlinks(base)
	if err != nil {
		return false
	}
	real, err := filepath.EvalSymlinks(filepath.Join(base, filepath.FromSlash(rel)))
	if err != nil {
		return false
	}
	r, err := filepath.Rel(realBase, real)
	return err != nil || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator))
}
