package server_test

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"webserv/internal/servertest"
)

const listingConf = `
server {
    listen 127.0.0.1:$PORT0;
    root www;
    location /files/ { autoindex on; }
}
`

var hrefRE = regexp.MustCompile(`<a href="([^"]*)">([^<]*)</a>`)

// listingLinks returns the listing's links: href (HTML-unescaped) → text.
func listingLinks(body string) (hrefs, texts []string) {
	for _, m := range hrefRE.FindAllStringSubmatch(body, -1) {
		hrefs = append(hrefs, strings.NewReplacer("&amp;", "&", "&#39;", "'", "&#34;", `"`).Replace(m[1]))
		texts = append(texts, m[2])
	}
	return hrefs, texts
}

// Issue 14 item 1: a name that looks like a URL with a scheme
// ("javascript:alert(document.domain)", uploaded by anyone) must still be
// linked as a file in the listed directory, never as a URL of its own: a
// click on it ran the script in the server's origin.
func TestListingSchemeNames(t *testing.T) {
	t.Parallel()
	names := map[string]string{
		"javascript:alert(document.domain)": "js",
		"JavaScript:alert(1).txt":           "js2",
		"data:text":                         "data",
		"mailto:x@example.com":              "mail",
		"a:b:c":                             "colons",
		"plain.txt":                         "plain",
	}
	files := map[string]string{"www/files/http:/": "", "www/files/http:/in.txt": "in"}
	for name, content := range names {
		files["www/files/"+name] = content
	}
	s := servertest.Start(t, listingConf, 1, files)
	base, err := url.Parse(s.URL(0, "/files/"))
	if err != nil {
		t.Fatal(err)
	}
	resp, b := do(t, "GET", base.String())
	body := string(b)
	if resp.StatusCode != 200 {
		t.Fatalf("got %d", resp.StatusCode)
	}
	if !strings.Contains(body, `href="javascript%3Aalert%28document.domain%29"`) {
		t.Errorf("listing lacks href=\"javascript%%3Aalert%%28document.domain%%29\":\n%s", body)
	}
	hrefs, texts := listingLinks(body)
	seen := map[string]bool{}
	for i, href := range hrefs {
		// A browser resolves the href against the listing's URL (RFC 3986
		// §5.2); it must stay a same-origin path under /files/.
		u, err := base.Parse(href)
		if err != nil || u.Scheme != base.Scheme || u.Host != base.Host || !strings.HasPrefix(u.Path, "/files/") && href != "../" {
			t.Errorf("href %q (%s) resolves to %v (err %v), not a path under %s", href, texts[i], u, err, base)
			continue
		}
		if strings.Contains(href, ":") {
			t.Errorf("href %q keeps a colon", href)
		}
		seen[strings.TrimSuffix(texts[i], "/")] = true
		// Following the link reaches the file it is named after.
		if want, ok := names[texts[i]]; ok {
			if resp, got := do(t, "GET", u.String()); resp.StatusCode != 200 || string(got) != want {
				t.Errorf("link %q: got %d %q, want 200 %q", href, resp.StatusCode, got, want)
			}
		}
	}
	for name := range names {
		if !seen[strings.ReplaceAll(strings.ReplaceAll(name, "&", "&amp;"), "'", "&#39;")] {
			t.Errorf("listing lacks %q; links %q", name, texts)
		}
	}
	if !seen["http:"] {
		t.Errorf("listing lacks the directory http:/; links %q", texts)
	}
}

// Issue 14 item 8: a directory too big to sort in bounded memory is
// streamed (chunked, no Content-Length), every visible entry exactly once,
// directories first; a small one is sorted and sent whole.
func TestListingBigDirectoryStreams(t *testing.T) {
	t.Parallel()
	const nfiles, ndirs = 5000, 60 // more than static's listingSortMax (4096)
	files := map[string]string{"www/files/.hidden": "x", "www/files/.hdir/": ""}
	for i := range nfiles {
		files[fmt.Sprintf("www/files/f%05d.txt", i)] = ""
	}
	for i := range ndirs {
		files[fmt.Sprintf("www/files/d%03d/", i)] = ""
	}
	files["www/small/b.txt"] = "b"
	files["www/small/a.txt"] = "a"
	files["www/small/z/"] = ""
	s := servertest.Start(t, listingConf+"server { listen 127.0.0.1:$PORT1; root www/small; autoindex on; }\n", 2, files)

	resp, b := do(t, "GET", s.URL(0, "/files/"))
	if resp.StatusCode != 200 {
		t.Fatalf("got %d", resp.StatusCode)
	}
	if resp.ContentLength != -1 || len(resp.TransferEncoding) != 1 || resp.TransferEncoding[0] != "chunked" {
		t.Errorf("big listing: Content-Length %d, Transfer-Encoding %q; want it streamed chunked", resp.ContentLength, resp.TransferEncoding)
	}
	body := string(b)
	if !strings.HasSuffix(body, "</html>\n") {
		t.Errorf("big listing ends %q", body[max(0, len(body)-100):])
	}
	_, texts := listingLinks(body)
	count := map[string]int{}
	lastDir, firstFile := -1, len(texts)
	for i, name := range texts {
		count[name]++
		switch {
		case name == "../":
		case strings.HasSuffix(name, "/"):
			lastDir = i
		default:
			firstFile = min(firstFile, i)
		}
	}
	if len(texts) != nfiles+ndirs+1 {
		t.Errorf("big listing has %d links, want %d", len(texts), nfiles+ndirs+1)
	}
	for name, n := range count {
		if n != 1 {
			t.Errorf("%q listed %d times", name, n)
		}
	}
	if count["f04999.txt"] != 1 || count["d059/"] != 1 || count[".hidden"]+count[".hdir/"] != 0 {
		t.Errorf("big listing: f04999.txt %d, d059/ %d, dotfiles %d times", count["f04999.txt"], count["d059/"], count[".hidden"]+count[".hdir/"])
	}
	if lastDir > firstFile {
		t.Errorf("a directory (link %d) after a file (link %d)", lastDir, firstFile)
	}

	resp, b = do(t, "GET", s.URL(1, "/"))
	if resp.StatusCode != 200 || resp.ContentLength != int64(len(b)) {
		t.Errorf("small listing: %d, Content-Length %d for %d bytes", resp.StatusCode, resp.ContentLength, len(b))
	}
	if _, texts := listingLinks(string(b)); strings.Join(texts, " ") != "z/ a.txt b.txt" {
		t.Errorf("small listing links %q, want z/ a.txt b.txt", texts)
	}
	// HEAD: the head of the 200, no body.
	resp, b = do(t, "HEAD", s.URL(0, "/files/"))
	if resp.StatusCode != 200 || len(b) != 0 || resp.Header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Errorf("HEAD: %d, %d body bytes, Content-Type %q", resp.StatusCode, len(b), resp.Header.Get("Content-Type"))
	}
}
