package static

import (
	"html"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"

	"webserv/internal/config"
	"webserv/internal/http1"
)

// serveListing writes the autoindex page for directory dir at urlPath:
// directories first, then files, each sorted by name, with size and
// modification time (UTC). Dotfiles are hidden. Names are HTML-escaped and
// links percent-encoded, so no name can inject markup or a foreign URL.
func serveListing(w *http1.ResponseWriter, loc *config.Location, dir, urlPath string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return FileError(err)
	}
	type item struct {
		name string
		dir  bool
		size int64
		mod  string
	}
	items := make([]item, 0, len(entries))
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") {
			continue
		}
		fi, err := os.Stat(dir + "/" + name) // follow symlinks for the kind and size shown
		if err != nil {
			fi, err = e.Info()
			if err != nil {
				continue
			}
		}
		items = append(items, item{name: name, dir: fi.IsDir(), size: fi.Size(), mod: fi.ModTime().UTC().Format("2006-01-02 15:04")})
	}
	slices.SortFunc(items, func(a, b item) int {
		if a.dir != b.dir {
			if a.dir {
				return -1
			}
			return 1
		}
		return strings.Compare(a.name, b.name)
	})

	title := "Index of " + html.EscapeString(urlPath)
	var b strings.Builder
	b.WriteString("<!DOCTYPE html>\n<html>\n<head><meta charset=\"utf-8\"><title>")
	b.WriteString(title)
	b.WriteString("</title>\n<style>body{font-family:sans-serif;margin:2em}td{padding:.1em 1.5em .1em 0}td.s{text-align:right}</style>\n</head>\n<body>\n<h1>")
	b.WriteString(title)
	b.WriteString("</h1>\n<table>\n<tr><th align=\"left\">Name</th><th align=\"right\">Size</th><th align=\"left\">Modified (UTC)</th></tr>\n")
	if urlPath != "/" {
		b.WriteString("<tr><td><a href=\"../\">../</a></td><td class=\"s\">-</td><td></td></tr>\n")
	}
	for _, it := range items {
		href := url.PathEscape(it.name)
		label := html.EscapeString(it.name)
		size := "-"
		if it.dir {
			href += "/"
			label += "/"
		} else {
			size = humanSize(it.size)
		}
		b.WriteString("<tr><td><a href=\"")
		b.WriteString(html.EscapeString(href))
		b.WriteString("\">")
		b.WriteString(label)
		b.WriteString("</a></td><td class=\"s\">")
		b.WriteString(size)
		b.WriteString("</td><td>")
		b.WriteString(it.mod)
		b.WriteString("</td></tr>\n")
	}
	b.WriteString("</table>\n<hr><p>" + http1.ServerName + "</p>\n</body>\n</html>\n")

	body := b.String()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.SetContentLength(int64(len(body)))
	w.WriteHeader(200)
	w.Write([]byte(body))
	return nil
}

// humanSize formats n as nginx's autoindex_exact_size off does: bytes below
// 1 KiB, else one decimal in K, M or G.
func humanSize(n int64) string {
	if n < 1024 {
		return strconv.FormatInt(n, 10)
	}
	units := "KMGTP"
	f := float64(n) / 1024
	i := 0
	for f >= 1024 && i < len(units)-1 {
		f /= 1024
		i++
	}
	return strconv.FormatFloat(f, 'f', 1, 64) + string(units[i])
}
