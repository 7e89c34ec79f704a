package upload

import (
	"errors"
	"io"
	"io/fs"
	"mime"
	"net/url"
	"os"
	"path"
	"strings"
	"syscall"
	"time"

	"webserv/internal/config"
	"webserv/internal/fspolicy"
	"webserv/internal/http1"
	"webserv/internal/response"
	"webserv/internal/route"
)

// Env is what Post and Put take from the server beyond the request. A nil
// *Env means the defaults.
type Env struct {
	// MaxPartHeader bounds a multipart part's header, counted from the end
	// of the previous part (the server passes client_max_header_size);
	// 0 means defaultMaxPartHeader.
	MaxPartHeader int64
	// Roots shares the open store directories among requests (nil: each
	// request opens its own).
	Roots *Roots

	hooks *hooks // a test's (export_test.go)
}

// errCGIName refuses a file name that a cgi directive could run.
var errCGIName = &http1.StatusError{Status: 403, Msg: "upload: file name ends in a cgi extension (it could be run)"}

func (e *Env) roots() *Roots {
	if e == nil {
		return nil
	}
	return e.Roots
}

func (e *Env) testHooks() *hooks {
	if e == nil {
		return nil
	}
	return e.hooks
}

func (e *Env) maxPartHeader() int64 {
	if e == nil || e.MaxPartHeader <= 0 {
		return defaultMaxPartHeader
	}
	return e.MaxPartHeader
}

// Post stores the body of a POST to a location with an upload_store (SPEC
// §4, RFC 9110 §9.3.3) and answers 201 Created.
//
// A multipart/form-data body (RFC 7578) stores every part that has a
// filename under its sanitised name; parts without one (plain form
// fields) are read and dropped. A multipart body with no file part is 400.
// Any other body is one file, named from the last segment of the path
// after the location prefix when there is one (POST /up/a.txt → "a.txt";
// files always go to the store itself, never a subdirectory), else a
// generated "upload-<time>-<random>[.ext]".
//
// A name is never overwritten: "a.txt", "a-1.txt" … "a-8.txt", then
// "a-<random>.txt" (see the package comment for how this is atomic). A
// multipart body holds at most maxFiles files and maxParts parts (413).
// Location names the first file stored; the body lists them all, as JSON
// when Accept prefers application/json, else HTML.
//
// Everything that can refuse the request (the store, the Content-Type) is
// decided before the first Read of body, which is what sends "100
// Continue" to a client that asked for it.
func Post(w response.Writer, req *http1.Request, body io.Reader, loc *config.Location, urlPath string, env *Env) (err error) {
	defer func() { err = inDir(err, loc.UploadStore) }()
	if loc.UploadStore == "" {
		return errors.New("upload: POST to a location without upload_store")
	}
	ctype := string(req.Get("Content-Type"))
	// A parameter error still yields the media type; a multipart body
	// whose boundary cannot be read is refused, not stored raw.
	media, params, _ := mime.ParseMediaType(ctype)
	multi := media == "multipart/form-data"
	if multi && params["boundary"] == "" {
		return &http1.StatusError{Status: 400, Msg: "multipart body without boundary"}
	}
	s, err := openStore(env, loc.UploadStore, body)
	if err != nil {
		return err
	}
	defer s.close()
	s.cgiExts = loc.ScriptExts

	var files []stored
	if multi {
		files, err = s.multipart(params["boundary"], env.maxPartHeader())
	} else {
		name := ""
		if rel, dir := relPath(loc, urlPath); rel != "" && !dir {
			name, _ = Sanitize(path.Base(rel))
		}
		if name == "" {
			name = generatedName(media)
		}
		var f stored
		f, err = s.save(s.body, name)
		files = append(files, f)
	}
	if err == nil {
		var names []string
		if names, err = s.commit(); err == nil {
			for i := range files {
				files[i].Name = names[i]
			}
		}
	}
	if err != nil {
		s.rollback()
		return err
	}

	prefix := strings.TrimSuffix(loc.Path, "/") + "/"
	for i := range files {
		files[i].URL = prefix + url.PathEscape(files[i].Name)
	}
	w.Header().Set("Location", files[0].URL)
	writeSummary(w, req, 201, files)
	return nil
}

// stored describes one stored file in the response.
type stored struct {
	Name string `json:"name"`
	Size int64  `json:"size"`
	URL  string `json:"url"`
}

// save streams src to a temporary file in the store root, to be stored
// under a unique variant of name when the request commits (store.commit).
func (s *store) save(src io.Reader, name string) (stored, error) {
	if config.HasAnySuffixFold(name, s.cgiExts) {
		return stored{}, errCGIName
	}
	tmp, n, err := s.writeTemp("", src, false)
	if err != nil {
		return stored{}, err
	}
	s.written = append(s.written, written{tmp: tmp, name: name})
	return stored{Name: name, Size: n}, nil
}

// Put stores the body as the file the path names under the upload store
// (RFC 9110 §9.3.4): 201 Created (with Location) when it did not exist,
// 204 when it was replaced (atomically, by rename).
//
// Refused before the body is read:
//   - 400 when the path does not name a file: an exact location, the
//     location prefix itself, or a path ending in "/" (a PUT creates
//     files, not collections — 400 rather than 405 because the method is
//     allowed here, only this target is not a file name);
//   - 400 when a segment is not a name Sanitize would keep unchanged
//     (leading dot, trailing dot or space, "\", over 255 bytes, …), so
//     that PUT cannot create what POST could not;
//   - 409 when the parent directory does not exist (or is not a directory,
//     or lies outside the store through a symlink), or the target is a
//     directory.
func Put(w response.Writer, req *http1.Request, body io.Reader, loc *config.Location, urlPath string, env *Env) (err error) {
	defer func() { err = inDir(err, loc.UploadStore) }()
	if loc.UploadStore == "" {
		return errors.New("upload: PUT to a location without upload_store")
	}
	rel, dir := relPath(loc, urlPath)
	if rel == "" || dir {
		return &http1.StatusError{Status: 400, Msg: "put target must name a file"}
	}
	for _, seg := range strings.Split(rel, "/") {
		if clean, ok := Sanitize(seg); !ok || clean != seg {
			return &http1.StatusError{Status: 400, Msg: "bad file name"}
		}
	}
	if config.HasAnySuffixFold(path.Base(rel), loc.ScriptExts) {
		return errCGIName
	}
	s, err := openStore(env, loc.UploadStore, body)
	if err != nil {
		return err
	}
	defer s.close()

	parent := path.Dir(rel)
	if parent != "." {
		fi, err := s.root.Stat(parent)
		switch {
		case err == nil && !fi.IsDir():
			return &http1.StatusError{Status: 409, Msg: "parent is not a directory"}
		case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOTDIR),
			err != nil && fspolicy.Escapes(loc.UploadStore, parent):
			return &http1.StatusError{Status: 409, Msg: "parent directory does not exist"}
		case err != nil:
			return fsError("stat", err)
		}
	} else {
		parent = ""
	}
	fi, err := s.root.Lstat(rel)
	exists := err == nil
	switch {
	case exists && fi.IsDir():
		return &http1.StatusError{Status: 409, Msg: "target is a directory"}
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return fsError("stat", err)
	}

	tmp, n, err := s.writeTemp(parent, s.body, true)
	if err != nil {
		return err
	}
	if err := s.root.Rename(tmp, rel); err != nil {
		s.root.Remove(tmp)
		if errors.Is(err, syscall.EISDIR) || errors.Is(err, syscall.ENOTEMPTY) || errors.Is(err, fs.ErrExist) {
			return &http1.StatusError{Status: 409, Msg: "target is a directory"}
		}
		return fsError("rename", err)
	}
	s.syncDir(parent)

	if exists {
		w.WriteHeader(204)
		return nil
	}
	u := strings.TrimSuffix(loc.Path, "/")
	for _, seg := range strings.Split(rel, "/") {
		u += "/" + url.PathEscape(seg)
	}
	w.Header().Set("Location", u)
	writeSummary(w, req, 201, []stored{{Name: path.Base(rel), Size: n, URL: u}})
	return nil
}

// Delete removes the file the path names (RFC 9110 §9.3.5): under the
// upload store when the location has one, else the file route.FilePath
// maps it to under the location's root or alias. 204 when a regular file
// (or a symlink, which is removed itself, never its target) was removed;
// 404 when missing, when the path leads outside the base through a
// symlink, or when a path ending in "/" names a file; 409 for a directory,
// the base itself included; 403 for anything else (devices, FIFOs,
// sockets).
func Delete(w response.Writer, req *http1.Request, loc *config.Location, urlPath string) (err error) {
	var base, rel string
	defer func() { err = inDir(err, base) }()
	if loc.UploadStore != "" {
		base = loc.UploadStore
		rel, _ = relPath(loc, urlPath)
	} else {
		base = loc.Root
		if loc.Alias != "" {
			base = loc.Alias
		}
		fpath := route.FilePath(loc, urlPath)
		r, err := relFS(base, fpath)
		if err != nil {
			return fspolicy.NotFound
		}
		rel = r
	}
	if rel == "" {
		return &http1.StatusError{Status: 409, Msg: "cannot delete the location's directory"}
	}
	root, err := os.OpenRoot(base)
	if err != nil {
		return fsError("open base", err)
	}
	defer root.Close()

	fi, err := root.Lstat(rel)
	switch {
	case err == nil:
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOTDIR), fspolicy.Escapes(base, path.Dir(rel)):
		return fspolicy.NotFound
	default:
		return fsError("stat", err)
	}
	switch {
	case fi.IsDir():
		return &http1.StatusError{Status: 409, Msg: "cannot delete a directory"}
	case strings.HasSuffix(urlPath, "/"):
		return fspolicy.NotFound // "f/" names a directory, and f is not one
	case !fi.Mode().IsRegular() && fi.Mode()&fs.ModeSymlink == 0:
		return errForbidden
	}
	if err := root.Remove(rel); err != nil {
		return fsError("remove", err)
	}
	if d, err := root.Open(path.Dir(rel)); err == nil {
		d.Sync() // best effort, as in store.syncDir
		d.Close()
	}
	w.WriteHeader(204)
	return nil
}

// relPath returns the part of the clean urlPath after loc's prefix,
// without leading or trailing slashes, and whether urlPath ended in "/".
// An exact location has no remainder.
func relPath(loc *config.Location, urlPath string) (rel string, dir bool) {
	dir = strings.HasSuffix(urlPath, "/")
	if loc.Exact {
		return "", dir
	}
	rest := urlPath
	switch {
	case strings.HasPrefix(urlPath, loc.Path):
		rest = urlPath[len(loc.Path):]
	case urlPath+"/" == loc.Path:
		rest = "" // "/up" for location "/up/" (not routed there by route.Location, but unambiguous)
	}
	return strings.Trim(rest, "/"), dir
}

// relFS returns fpath relative to base, slash-separated, "" for base
// itself; an error when fpath is not inside base (never, for a clean path).
func relFS(base, fpath string) (string, error) {
	base = strings.TrimRight(base, "/")
	if fpath == base || base == "" && fpath == "/" {
		return "", nil
	}
	rest, ok := strings.CutPrefix(fpath, base+"/")
	if !ok || rest == ".." || strings.HasPrefix(rest, "../") || strings.Contains(rest, "/../") {
		return "", errors.New("upload: path outside base")
	}
	return rest, nil
}

// preferredExt maps common types to the extension people expect, since
// mime.ExtensionsByType lists what the system's mime.types says in
// alphabetical order (".asc" before ".txt" for text/plain).
var preferredExt = map[string]string{
	"text/plain":       ".txt",
	"text/html":        ".html",
	"text/css":         ".css",
	"text/csv":         ".csv",
	"application/json": ".json",
	"application/pdf":  ".pdf",
	"application/xml":  ".xml",
	"application/zip":  ".zip",
	"image/png":        ".png",
	"image/jpeg":       ".jpg",
	"image/gif":        ".gif",
	"image/webp":       ".webp",
	"image/svg+xml":    ".svg",
	"audio/mpeg":       ".mp3",
	"video/mp4":        ".mp4",
}

// generatedName returns "upload-<UTC time>-<random>" with an extension
// guessed from the media type when one is known; opaque types
// (application/octet-stream) get none.
func generatedName(media string) string {
	name := "upload-" + time.Now().UTC().Format("20060102T150405") + "-" + randomHex(6)
	if media == "" || media == "application/octet-stream" {
		return name
	}
	ext, ok := preferredExt[media]
	if !ok {
		if exts, _ := mime.ExtensionsByType(media); len(exts) > 0 {
			ext = exts[0]
		}
	}
	if clean, ok := Sanitize("x" + ext); ok && clean == "x"+ext && len(ext) <= maxExt {
		return name + ext
	}
	return name
}
