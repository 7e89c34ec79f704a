package site

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// ConfigName is the name the embedded configuration reports in errors.
const ConfigName = "default.conf"

//go:embed default.conf
var defaultConf []byte

//go:embed all:www
var www embed.FS

// ListenEnv names the environment variable that overrides the embedded
// configuration's listen address (DefaultListen), e.g.
// WEBSERV_LISTEN=127.0.0.1:9000. It is consulted only for the embedded
// default configuration, never for a configuration file.
const ListenEnv = "WEBSERV_LISTEN"

// DefaultListen is where the embedded configuration listens.
const DefaultListen = "127.0.0.1:8080"

// Config returns the embedded default configuration text, with the
// template's @LISTEN@ replaced by the listen address ($WEBSERV_LISTEN, else
// DefaultListen) and @UPLOADS@ by UploadsDir(), each as one quoted
// argument. Extract creates that directory; call it first.
func Config() []byte {
	listen := os.Getenv(ListenEnv)
	if listen == "" {
		listen = DefaultListen
	}
	b := bytes.ReplaceAll(defaultConf, []byte("@LISTEN@"), []byte(quote(listen)))
	return bytes.ReplaceAll(b, []byte("@UPLOADS@"), []byte(quote(UploadsDir())))
}

// quote writes s as one quoted configuration argument: inside quotes only
// \, \" (and \', \n, \t) are escapes, so a backslash and a double quote are
// the characters to escape.
func quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// cacheBase is the directory the site and the uploads go under: the user's
// cache directory ($XDG_CACHE_HOME, else ~/.cache on Linux), else the temp
// directory.
func cacheBase() string {
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	return filepath.Join(base, "webserv")
}

// UploadsDir is the writable directory the embedded configuration stores
// uploads in: <cache>/webserv/uploads. Unlike the extracted site it is
// shared by every version of the binary, so uploads survive upgrades.
func UploadsDir() string { return filepath.Join(cacheBase(), "uploads") }

// The Range demo file, files/large/lines.txt, is generated at extraction
// rather than embedded: linesCount fixed-width lines of linesWidth bytes,
// so that line N is bytes (N-1)*64 to N*64-1 (4 MiB in all).
const (
	linesPath  = "www/files/large/lines.txt"
	linesCount = 65536
	linesWidth = 64
)

// writeLines writes the Range demo file.
func writeLines(name string) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 64<<10)
	line := make([]byte, 0, linesWidth)
	for n := 1; n <= linesCount; n++ {
		start := (n - 1) * linesWidth
		line = fmt.Appendf(line[:0], "line %06d of %06d, bytes %d-%d ", n, linesCount, start, start+linesWidth-1)
		for len(line) < linesWidth-1 {
			line = append(line, '.')
		}
		w.Write(append(line, '\n'))
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Extract writes the embedded site into a directory named after its content
// hash under the user's cache directory (or the temp directory), so that an
// unchanged site is written once and a new binary never serves stale files.
// It also generates the Range demo file into the site and creates
// UploadsDir. It returns the directory that relative paths in the default
// configuration resolve against.
func Extract() (string, error) {
	sum := sha256.New()
	sum.Write(defaultConf)
	err := fs.WalkDir(www, "www", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := www.ReadFile(p)
		fmt.Fprintf(sum, "%s\x00%d\x00", p, len(b))
		sum.Write(b)
		return err
	})
	if err != nil {
		return "", err
	}
	fmt.Fprintf(sum, "%s\x00%d\x00%d\x00", linesPath, linesCount, linesWidth)
	if err := os.MkdirAll(UploadsDir(), 0o755); err != nil {
		return "", fmt.Errorf("creating the uploads directory: %w", err)
	}
	dir := filepath.Join(cacheBase(), "site-"+hex.EncodeToString(sum.Sum(nil))[:16])
	if _, err := os.Stat(filepath.Join(dir, ".complete")); err == nil {
		return dir, nil
	}
	// Write into a fresh temporary directory and rename it into place, so a
	// concurrent start or an interrupted one never sees half a site.
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), ".extract-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	err = fs.WalkDir(www, "www", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		target := filepath.Join(tmp, filepath.FromSlash(p))
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := www.ReadFile(p)
		if err != nil {
			return err
		}
		mode := os.FileMode(0o644)
		switch filepath.Ext(p) {
		case ".sh", ".py", ".cgi":
			mode = 0o755 // CGI programs run as themselves
		}
		return os.WriteFile(target, b, mode)
	})
	if err != nil {
		return "", err
	}
	lines := filepath.Join(tmp, filepath.FromSlash(linesPath))
	if err := os.MkdirAll(filepath.Dir(lines), 0o755); err != nil {
		return "", err
	}
	if err := writeLines(lines); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(tmp, ".complete"), nil, 0o644); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, dir); err != nil {
		if _, serr := os.Stat(filepath.Join(dir, ".complete")); serr == nil {
			return dir, nil // another process won the race
		}
		return "", err
	}
	return dir, nil
}
