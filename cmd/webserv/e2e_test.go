package main

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"webserv/internal/servertest/wait"
)

// The browser test drives headless Chromium through chromedriver with the
// W3C WebDriver protocol (https://www.w3.org/TR/webdriver2/), spoken here
// with net/http and encoding/json: no third-party module. It needs the
// Debian packages chromium and chromium-driver (.ci/run installs them) and
// skips when they are absent.

var updateScreenshot = flag.Bool("update-screenshot", false,
	"also write the upload page's screenshot to docs/screenshot.png")

const chromiumPath = "/usr/bin/chromium"

// browserTimeout bounds every wait for the browser or the page: generous,
// since the machine may be shared and slow; a passing run waits far less.
const browserTimeout = 30 * time.Second

// TestBrowserDemoSite serves the embedded demo site with the real binary
// and uses it as a person would, in a real browser: follow the directory
// listing and the redirect, upload two files through the form, open one,
// delete the other with its button, upload and click a file named like a
// javascript: URL, hit a missing page, run the CGI page
// and the Range demo.
func TestBrowserDemoSite(t *testing.T) {
	// CI sets WEBSERV_REQUIRE_BROWSER=1 (.ci/run): there a missing browser
	// is a failure, not a skip.
	skip := t.Skipf
	if os.Getenv("WEBSERV_REQUIRE_BROWSER") != "" {
		skip = t.Fatalf
	}
	if _, err := os.Stat(chromiumPath); err != nil {
		skip("Chromium is not installed (%v): apt-get install chromium chromium-driver", err)
	}
	driverPath, err := exec.LookPath("chromedriver")
	if err != nil {
		skip("chromedriver is not installed (%v): apt-get install chromium chromium-driver", err)
	}
	began := time.Now()

	// The real binary with the embedded default configuration, on a free
	// port, with its uploads in a cache directory of its own.
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache)
	addr := freeAddr(t)
	t.Setenv("WEBSERV_LISTEN", addr)
	srv := startBinary(t, addr)
	base := "http://" + addr
	uploads := filepath.Join(cache, "webserv", "uploads")
	client := &http.Client{Timeout: 10 * time.Second}

	s := newBrowser(t, driverPath)
	t.Logf("browser ready after %v", time.Since(began).Round(time.Millisecond))

	// Files to upload: a text file whose name needs percent-encoding, and
	// 256 KiB of random bytes (several upload progress events).
	src := t.TempDir()
	textName, binName := "notes one.txt", "sample.bin"
	textData := []byte("Hello from the browser test.\nLine two <b>not markup</b>.\n")
	binData := make([]byte, 256<<10)
	rand.Read(binData)
	originals := map[string][]byte{textName: textData, binName: binData}
	for name, data := range originals {
		if err := os.WriteFile(filepath.Join(src, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("home and listing", func(t *testing.T) {
		s := s.on(t)
		s.navigate(base + "/")
		s.waitTitle("webserv is running")
		s.click(s.find(`a[href="/files/"]`))
		s.waitTitle("Index of /files/")
		names := s.texts("a")
		for _, want := range []string{"docs/", "large/", "notes.md"} {
			if !contains(names, want) {
				t.Errorf("listing of /files/ has links %q, want %q among them", names, want)
			}
		}
		s.click(s.findLink("docs/"))
		s.waitTitle("Index of /files/docs/")
		s.click(s.findLink("hello.txt"))
		s.waitURL(base + "/files/docs/hello.txt")
		if body := s.bodyText(); !strings.Contains(body, "Hello from a static file") {
			t.Errorf("hello.txt shows %q", body)
		}
	})

	t.Run("redirect", func(t *testing.T) {
		s := s.on(t)
		s.navigate(base + "/old-home")
		s.waitURL(base + "/")
		s.waitTitle("webserv is running")
	})

	// Issue 19: the demo site goes out compressed to the browser; the page
	// and its stylesheet decode to their bytes (the page renders) and the
	// Resource Timing sizes show fewer bytes on the wire than decoded.
	t.Run("served compressed", func(t *testing.T) {
		s := s.on(t)
		s.navigate(base + "/")
		s.waitTitle("webserv is running")
		var got []struct {
			Name     string  `json:"name"`
			Encoded  float64 `json:"encoded"`
			Decoded  float64 `json:"decoded"`
			Encoding string  `json:"encoding"`
		}
		// W3C WebDriver §13.2.2 Execute Async Script.
		s.must("POST", "/execute/async", map[string]any{"args": []any{}, "script": `
			const done = arguments[arguments.length - 1];
			const nav = performance.getEntriesByType("navigation")[0];
			fetch("/style.css", {cache: "no-store"}).then(r => r.text().then(() => {
				const css = performance.getEntriesByName(new URL("/style.css", location).href).pop();
				done([
					{name: "/", encoded: nav.encodedBodySize, decoded: nav.decodedBodySize, encoding: ""},
					{name: "/style.css", encoded: css ? css.encodedBodySize : 0, decoded: css ? css.decodedBodySize : 0, encoding: r.headers.get("content-encoding") || ""},
				]);
			}));`}, &got)
		for _, e := range got {
			if e.Decoded == 0 || e.Encoded >= e.Decoded {
				t.Errorf("%s: %v bytes on the wire for %v decoded, want it compressed", e.Name, e.Encoded, e.Decoded)
			}
		}
		if len(got) != 2 || got[1].Encoding == "" {
			t.Errorf("fetch(/style.css) from the browser: got %+v, want a Content-Encoding", got)
		}
	})

	t.Run("upload two files", func(t *testing.T) {
		s := s.on(t)
		s.navigate(base + "/")
		s.click(s.find(`a[href="/upload.html"]`))
		s.waitTitle("Upload files")
		s.waitText("#upload-list", "Nothing uploaded yet.")
		// WebDriver's Element Send Keys to a file input selects files;
		// several, one per line, for <input type=file multiple>.
		s.sendKeys(s.find("#files"), filepath.Join(src, textName)+"\n"+filepath.Join(src, binName))
		s.click(s.find("#upload"))
		s.waitText("#status", "Uploaded 2 files")
		s.waitFor("both files listed", func() (bool, string) {
			names := s.texts("#upload-list a.file")
			return contains(names, textName) && contains(names, binName), fmt.Sprint(names)
		})
		if v := s.property(s.find("#progress"), "value"); v != "100" {
			t.Errorf("progress bar at %s, want 100", v)
		}

		png := s.screenshot()
		if !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
			t.Fatalf("screenshot is not a PNG: % x", png[:min(len(png), 8)])
		}
		shot := filepath.Join(t.TempDir(), "upload.png")
		if err := os.WriteFile(shot, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot of the upload page: %s (%d bytes)", shot, len(png))
		if *updateScreenshot {
			if err := os.WriteFile(filepath.Join("..", "..", "docs", "screenshot.png"), png, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	})

	t.Run("uploaded bytes", func(t *testing.T) {
		s := s.on(t)
		for name, data := range originals {
			want := sha256.Sum256(data)
			href := s.property(s.find(`#upload-list tr[data-name="`+name+`"] a.file`), "href")
			resp, err := client.Get(href)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || resp.StatusCode != 200 || sha256.Sum256(got) != want {
				t.Errorf("GET %s: %d, %d bytes, err %v; want 200 and the %d bytes uploaded", href, resp.StatusCode, len(got), err, len(data))
			}
			onDisk, err := os.ReadFile(filepath.Join(uploads, name))
			if err != nil || sha256.Sum256(onDisk) != want {
				t.Errorf("%s on disk: %d bytes, err %v; want the %d bytes uploaded", name, len(onDisk), err, len(data))
			}
		}
		// Open the text file in the browser: the link, percent-encoded.
		s.click(s.find(`#upload-list tr[data-name="` + textName + `"] a.file`))
		s.waitURL(base + "/uploads/" + url.PathEscape(textName))
		if got, want := s.bodyText(), strings.TrimSpace(string(textData)); got != want {
			t.Errorf("the browser shows %q, want %q", got, want)
		}
	})

	t.Run("delete one", func(t *testing.T) {
		s := s.on(t)
		s.navigate(base + "/upload.html")
		s.waitFor("the uploads listed", func() (bool, string) {
			names := s.texts("#upload-list a.file")
			return len(names) == 2, fmt.Sprint(names)
		})
		s.click(s.find(`#upload-list tr[data-name="` + binName + `"] button.delete`))
		s.waitText("#status", "Deleted "+binName)
		s.waitFor(binName+" gone from the page", func() (bool, string) {
			names := s.texts("#upload-list a.file")
			return !contains(names, binName) && contains(names, textName), fmt.Sprint(names)
		})
		if _, err := os.Stat(filepath.Join(uploads, binName)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s on disk after Delete: %v, want it gone", binName, err)
		}
		if _, err := os.Stat(filepath.Join(uploads, textName)); err != nil {
			t.Errorf("%s on disk: %v, want it kept", textName, err)
		}
	})

	// Issue 14: an uploaded file whose name reads as a URL with a scheme.
	// Its entry in the listing must open the file, not run a script in
	// the site's origin.
	t.Run("scheme-looking name", func(t *testing.T) {
		s := s.on(t)
		// ".txt" so that the file opens in the browser (the demo serves
		// unknown types as application/octet-stream, a download); as a
		// URL it still runs alert(document.domain) before failing.
		name := "javascript:alert(document.domain).txt"
		data := []byte("Just a file.\n")
		if err := os.WriteFile(filepath.Join(src, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
		s.navigate(base + "/upload.html")
		s.waitTitle("Upload files")
		s.sendKeys(s.find("#files"), filepath.Join(src, name))
		s.click(s.find("#upload"))
		s.waitText("#status", "Uploaded 1 file")

		s.navigate(base + "/uploads/")
		s.waitTitle("Index of /uploads/")
		link := s.findLink(name)
		want := base + "/uploads/javascript%3Aalert%28document.domain%29.txt"
		if href := s.property(link, "href"); href != want {
			t.Errorf("the entry links to %q, want %q", href, want)
		}
		s.click(link)
		s.waitFor("the file opened, no script run", func() (bool, string) {
			var alert string
			if err := s.do("GET", "/alert/text", nil, &alert); err == nil {
				s.do("POST", "/alert/dismiss", struct{}{}, nil)
				t.Fatalf("clicking %q ran a script: an alert says %q", name, alert)
			}
			var u string
			s.must("GET", "/url", nil, &u)
			return u == want, u
		})
		if got := s.bodyText(); got != strings.TrimSpace(string(data)) {
			t.Errorf("the browser shows %q, want the file's text %q", got, data)
		}
	})

	t.Run("custom 404", func(t *testing.T) {
		s := s.on(t)
		s.navigate(base + "/no-such-page")
		s.waitTitle("Page not found")
		if h1 := s.text(s.find("h1")); h1 != "Nothing here" {
			t.Errorf("404 page h1 %q", h1)
		}
		if body := s.bodyText(); !strings.Contains(body, "custom 404 page") {
			t.Errorf("404 page shows %q", body)
		}
		resp, err := client.Get(base + "/no-such-page")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 404 {
			t.Errorf("status %d, want the custom page to keep 404", resp.StatusCode)
		}
	})

	t.Run("cgi", func(t *testing.T) {
		s := s.on(t)
		s.navigate(base + "/")
		s.click(s.find(`a[href^="/cgi/echo.sh"]`))
		s.waitTitle("CGI echo")
		for sel, want := range map[string]string{"#method": "GET", "#uri": "/cgi/echo.sh?demo=1", "#query": "demo=1", "#size": "0 bytes"} {
			if got := s.text(s.find(sel)); got != want {
				t.Errorf("GET: %s shows %q, want %q", sel, got, want)
			}
		}
		if h := s.text(s.find("#headers")); !strings.Contains(h, "HTTP_USER_AGENT") || !strings.Contains(h, "Chrome") {
			t.Errorf("headers table %q lacks the browser's User-Agent", h)
		}
		// The page's POST form: message=Hello%2C+CGI%21 is 23 bytes.
		s.click(s.find("#post"))
		s.waitText("#method", "POST")
		for sel, want := range map[string]string{"#query": "via=form", "#ctype": "application/x-www-form-urlencoded", "#size": "23 bytes"} {
			if got := s.text(s.find(sel)); got != want {
				t.Errorf("POST: %s shows %q, want %q", sel, got, want)
			}
		}
		// Everything echoed is HTML-escaped (checked on the wire, since a
		// browser cannot send such a header field).
		req, _ := http.NewRequest("GET", base+"/cgi/echo.sh?q=%3Ci%3E", nil)
		req.Header.Set("X-Demo", `<b>"x"</b>`)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !bytes.Contains(body, []byte("&lt;b&gt;&quot;x&quot;&lt;/b&gt;")) || bytes.Contains(body, []byte("<b>")) {
			t.Errorf("escaping: got %d %q", resp.StatusCode, body)
		}
	})

	t.Run("range", func(t *testing.T) {
		s := s.on(t)
		s.navigate(base + "/range.html")
		s.waitTitle("Range requests")
		s.click(s.find(`#range-form button`))
		s.waitText("#range-out", "line 000101 of 065536, bytes 6400-6463")
		if out := s.text(s.find("#range-out")); !strings.Contains(out, "206") || !strings.Contains(out, "Content-Range: bytes 6400-6463/4194304") {
			t.Errorf("range demo shows %q", out)
		}
	})

	// SIGTERM stops the server with status 0; its startup lines named the
	// uploads directory.
	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-srv.exited:
	case <-time.After(browserTimeout):
		t.Fatal("server did not exit after SIGTERM")
	}
	if srv.waitErr != nil {
		t.Errorf("server exit: %v", srv.waitErr)
	}
	if out := srv.stderr.String(); !strings.Contains(out, " uploads="+uploads+"\n") {
		t.Errorf("startup output does not name the uploads directory %s:\n%s", uploads, out)
	}
	t.Logf("browser test took %v", time.Since(began).Round(time.Millisecond))
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// A session is one WebDriver session with chromedriver.
type session struct {
	t      *testing.T
	base   string // http://127.0.0.1:PORT/session/ID
	client *http.Client
}

// on returns s for use by test t (a subtest), so that its failures are
// reported from, and stop, the right goroutine.
func (s *session) on(t *testing.T) *session {
	c := *s
	c.t = t
	return &c
}

// newBrowser starts chromedriver on a free port and opens a headless
// Chromium session, with extraArgs on Chromium's command line. Both end
// with the test.
func newBrowser(t *testing.T, driverPath string, extraArgs ...string) *session {
	t.Helper()
	addr := freeAddr(t)
	_, port, _ := strings.Cut(addr, ":")
	logPath := filepath.Join(t.TempDir(), "chromedriver.log")
	cmd := exec.Command(driverPath, "--port="+port, "--log-path="+logPath)
	// Its own process group, so that the browser processes it starts can
	// be killed with it if the session cannot be closed.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
		if t.Failed() {
			if b, err := os.ReadFile(logPath); err == nil && len(b) > 0 {
				t.Logf("chromedriver log (last 4 KiB):\n%s", b[max(0, len(b)-4096):])
			}
		}
	})

	s := &session{t: t, base: "http://" + addr, client: &http.Client{Timeout: 2 * browserTimeout}}
	s.waitFor("chromedriver ready", func() (bool, string) {
		select {
		case <-exited:
			t.Fatal("chromedriver exited")
		default:
		}
		var st struct {
			Ready bool `json:"ready"`
		}
		if err := s.do("GET", "/status", nil, &st); err != nil {
			return false, err.Error()
		}
		return st.Ready, "not ready"
	})

	// W3C WebDriver §8.1 New Session; goog:chromeOptions is chromedriver's.
	caps := map[string]any{"capabilities": map[string]any{"alwaysMatch": map[string]any{
		"browserName": "chrome",
		"goog:chromeOptions": map[string]any{
			"binary": chromiumPath,
			"args": append([]string{"--headless=new", "--no-sandbox", "--disable-gpu",
				"--disable-dev-shm-usage", "--window-size=1200,900"}, extraArgs...),
		},
		"timeouts": map[string]int{"implicit": 0, "pageLoad": int(browserTimeout / time.Millisecond),
			"script": int(browserTimeout / time.Millisecond)},
	}}}
	var created struct {
		SessionID string `json:"sessionId"`
	}
	if err := s.do("POST", "/session", caps, &created); err != nil {
		t.Fatalf("creating a Chromium session: %v", err)
	}
	s.base += "/session/" + created.SessionID
	t.Cleanup(func() {
		if err := s.do("DELETE", "", nil, nil); err != nil {
			t.Logf("closing the session: %v", err)
		}
	})
	return s
}

// do sends one WebDriver command (path relative to s.base) and decodes the
// response's "value" into out. A WebDriver error (§6.6: a non-200 status
// with {"value": {"error", "message"}}) is returned as an error.
func (s *session) do(method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.base+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var r struct {
		Value json.RawMessage `json:"value"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return fmt.Errorf("%s %s: %d, decoding: %v", method, path, resp.StatusCode, err)
	}
	if resp.StatusCode != 200 {
		var e struct {
			Error   string `json:"error"`
			Message string `json:"message"`
		}
		json.Unmarshal(r.Value, &e)
		return fmt.Errorf("%s %s: %s: %s", method, path, e.Error, e.Message)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(r.Value, out)
}

// must runs a command and fails the test on error.
func (s *session) must(method, path string, in, out any) {
	s.t.Helper()
	if err := s.do(method, path, in, out); err != nil {
		s.t.Fatal(err)
	}
}

// waitFor polls cond (wait.Until) until it holds, failing the test after
// browserTimeout with the last thing cond saw.
func (s *session) waitFor(what string, cond func() (ok bool, saw string)) {
	s.t.Helper()
	wait.Until(s.t, browserTimeout, func() error {
		if ok, saw := cond(); !ok {
			return fmt.Errorf("waiting for %s; last saw %s", what, saw)
		}
		return nil
	})
}

func (s *session) navigate(u string) {
	s.t.Helper()
	s.must("POST", "/url", map[string]string{"url": u}, nil)
}

func (s *session) waitURL(want string) {
	s.t.Helper()
	s.waitFor("URL "+want, func() (bool, string) {
		var u string
		s.must("GET", "/url", nil, &u)
		return u == want, u
	})
}

func (s *session) waitTitle(want string) {
	s.t.Helper()
	s.waitFor("title "+want, func() (bool, string) {
		var title string
		s.must("GET", "/title", nil, &title)
		return title == want, title
	})
}

// waitText waits until the first element matching css contains want.
func (s *session) waitText(css, want string) {
	s.t.Helper()
	s.waitFor(fmt.Sprintf("%q in %s", want, css), func() (bool, string) {
		els := s.findAll(css)
		if len(els) == 0 {
			return false, "no " + css
		}
		got := s.text(els[0])
		return strings.Contains(got, want), fmt.Sprintf("%q", got)
	})
}

// elementKey is the W3C web element identifier (§12.1).
const elementKey = "element-6066-11e4-a52e-4f735466cecf"

func (s *session) find(css string) string {
	s.t.Helper()
	var el map[string]string
	s.must("POST", "/element", map[string]string{"using": "css selector", "value": css}, &el)
	return el[elementKey]
}

func (s *session) findLink(text string) string {
	s.t.Helper()
	var el map[string]string
	s.must("POST", "/element", map[string]string{"using": "link text", "value": text}, &el)
	return el[elementKey]
}

func (s *session) findAll(css string) []string {
	s.t.Helper()
	var els []map[string]string
	s.must("POST", "/elements", map[string]string{"using": "css selector", "value": css}, &els)
	ids := make([]string, len(els))
	for i, el := range els {
		ids[i] = el[elementKey]
	}
	return ids
}

// texts returns the rendered text of every element matching css.
func (s *session) texts(css string) []string {
	s.t.Helper()
	var out []string
	for _, el := range s.findAll(css) {
		out = append(out, s.text(el))
	}
	return out
}

func (s *session) text(el string) string {
	s.t.Helper()
	var v string
	if err := s.do("GET", "/element/"+el+"/text", nil, &v); err != nil {
		// The element went away (the page re-rendered it): no text.
		if strings.Contains(err.Error(), "stale element reference") {
			return ""
		}
		s.t.Fatal(err)
	}
	return v
}

func (s *session) property(el, name string) string {
	s.t.Helper()
	var v any
	s.must("GET", "/element/"+el+"/property/"+name, nil, &v)
	return fmt.Sprint(v)
}

func (s *session) click(el string) {
	s.t.Helper()
	s.must("POST", "/element/"+el+"/click", struct{}{}, nil)
}

func (s *session) sendKeys(el, text string) {
	s.t.Helper()
	s.must("POST", "/element/"+el+"/value", map[string]string{"text": text}, nil)
}

func (s *session) bodyText() string { s.t.Helper(); return s.text(s.find("body")) }

func (s *session) screenshot() []byte {
	s.t.Helper()
	var b64 string
	s.must("GET", "/screenshot", nil, &b64)
	png, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		s.t.Fatal(err)
	}
	return png
}
