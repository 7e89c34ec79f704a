package static

import (
	"path/filepath"
	"strings"
)

// types maps lowercase extensions to media types. It is built in rather
// than read from /etc/mime.types so that responses are the same on every
// machine. Text types carry charset=utf-8.
var types = map[string]string{
	".html":        "text/html; charset=utf-8",
	".htm":         "text/html; charset=utf-8",
	".css":         "text/css; charset=utf-8",
	".js":          "text/javascript; charset=utf-8",
	".mjs":         "text/javascript; charset=utf-8",
	".json":        "application/json",
	".map":         "application/json",
	".txt":         "text/plain; charset=utf-8",
	".md":          "text/markdown; charset=utf-8",
	".csv":         "text/csv; charset=utf-8",
	".xml":         "application/xml",
	".svg":         "image/svg+xml",
	".png":         "image/png",
	".jpg":         "image/jpeg",
	".jpeg":        "image/jpeg",
	".gif":         "image/gif",
	".webp":        "image/webp",
	".avif":        "image/avif",
	".ico":         "image/vnd.microsoft.icon",
	".bmp":         "image/bmp",
	".woff":        "font/woff",
	".woff2":       "font/woff2",
	".ttf":         "font/ttf",
	".otf":         "font/otf",
	".wasm":        "application/wasm",
	".mp4":         "video/mp4",
	".webm":        "video/webm",
	".ogv":         "video/ogg",
	".mp3":         "audio/mpeg",
	".ogg":         "audio/ogg",
	".wav":         "audio/wav",
	".flac":        "audio/flac",
	".pdf":         "application/pdf",
	".zip":         "application/zip",
	".gz":          "application/gzip",
	".tar":         "application/x-tar",
	".bz2":         "application/x-bzip2",
	".xz":          "application/x-xz",
	".7z":          "application/x-7z-compressed",
	".rss":         "application/rss+xml",
	".atom":        "application/atom+xml",
	".yaml":        "application/yaml",
	".yml":         "application/yaml",
	".webmanifest": "application/manifest+json",
}

// ContentType returns the media type for name's extension in table (the
// location's `types`, keys lower case with the dot; nil: the built-in
// table), or def. An extension already in lower case, as nearly all are,
// is looked up without allocating.
func ContentType(name string, table map[string]string, def string) string {
	if table == nil {
		table = types
	}
	ext := filepath.Ext(name)
	if ext == "" {
		return def
	}
	if t, ok := table[ext]; ok {
		return t
	}
	if lower := strings.ToLower(ext); lower != ext {
		if t, ok := table[lower]; ok {
			return t
		}
	}
	return def
}
