package site

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// ConfigName is the name the embedded configuration reports in errors.
const ConfigName = "default.conf"

//go:embed default.conf
var defaultConf []byte

//go:embed all:www
var www embed.FS

// Config returns the embedded default configuration text.
func Config() []byte { return defaultConf }

// Extract writes the embedded site into a directory named after its content
// hash under the user's cache directory (or the temp directory), so that an
// unchanged site is written once and a new binary never serves stale files.
// It returns the directory that relative paths in the default configuration
// resolve against.
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
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	dir := filepath.Join(base, "webserv", "site-"+hex.EncodeToString(sum.Sum(nil))[:16])
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
