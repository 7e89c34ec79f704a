package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"webserv/internal/site"
)

// TestBrowserDemoSiteHTTP2 serves the demo site over HTTPS (a test
// certificate, which Chromium is told to accept) with the real binary,
// and checks in a real browser that the page and its assets came over
// HTTP/2 (ALPN h2, RFC 9113 §3.2), that an upload through the form, the
// CGI page and the Range demo work on it, and that the access log says
// HTTP/2.0.
func TestBrowserDemoSiteHTTP2(t *testing.T) {
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

	// The demo site as the binary extracts it, and its configuration
	// with the listener made ssl.
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache)
	addr := freeAddr(t)
	t.Setenv(site.ListenEnv, addr)
	siteDir, err := site.Extract()
	if err != nil {
		t.Fatal(err)
	}
	conf := string(site.Config())
	tlsConf := strings.Replace(conf, " default_server;", " ssl default_server;\n    ssl_certificate "+
		quoteArg(filepath.Join(cache, "test.crt"))+";\n    ssl_certificate_key "+quoteArg(filepath.Join(cache, "test.key"))+";", 1)
	if tlsConf == conf {
		t.Fatal("the demo configuration has no default_server listen line to make ssl")
	}
	certPEM, keyPEM := testCertificate(t, "localhost")
	files := map[string][]byte{"test.crt": certPEM, "test.key": keyPEM}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(cache, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// Relative paths in the configuration resolve against the site.
	confPath := filepath.Join(siteDir, "h2-test.conf")
	if err := os.WriteFile(confPath, []byte(tlsConf), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(confPath) })
	srv := startBinary(t, addr, confPath)
	_, port, _ := strings.Cut(addr, ":")
	base := "https://localhost:" + port
	uploads := site.UploadsDir()

	s := newBrowser(t, driverPath, "--ignore-certificate-errors", "--host-resolver-rules=MAP localhost 127.0.0.1")

	t.Run("page and assets over h2", func(t *testing.T) {
		s := s.on(t)
		s.navigate(base + "/")
		s.waitTitle("webserv is running")
		var protos []string
		s.must("POST", "/execute/sync", map[string]any{"args": []any{}, "script": `
			return performance.getEntries()
				.filter(e => e.entryType === "navigation" || e.entryType === "resource")
				.map(e => e.entryType + " " + new URL(e.name).pathname + " " + e.nextHopProtocol);`}, &protos)
		if len(protos) < 2 {
			t.Fatalf("performance entries %q, want the page and its style sheet", protos)
		}
		for _, p := range protos {
			if !strings.HasSuffix(p, " h2") {
				t.Errorf("%s: not over h2", p)
			}
		}
		t.Logf("entries: %q", protos)
	})

	t.Run("upload over h2", func(t *testing.T) {
		s := s.on(t)
		data := make([]byte, 300<<10) // several DATA frames and window updates
		rand.Read(data)
		src := filepath.Join(t.TempDir(), "h2 sample.bin")
		if err := os.WriteFile(src, data, 0o644); err != nil {
			t.Fatal(err)
		}
		s.navigate(base + "/upload.html")
		s.waitTitle("Upload files")
		s.sendKeys(s.find("#files"), src)
		s.click(s.find("#upload"))
		s.waitText("#status", "Uploaded 1 file")
		got, err := os.ReadFile(filepath.Join(uploads, "h2 sample.bin"))
		if err != nil || sha256.Sum256(got) != sha256.Sum256(data) {
			t.Errorf("stored upload: %d bytes, %v; want the %d bytes sent", len(got), err, len(data))
		}
	})

	t.Run("cgi over h2", func(t *testing.T) {
		s := s.on(t)
		s.navigate(base + "/cgi/echo.sh?demo=1")
		s.waitTitle("CGI echo")
		if got := s.text(s.find("#query")); got != "demo=1" {
			t.Errorf("#query shows %q", got)
		}
		s.click(s.find("#post"))
		s.waitText("#method", "POST")
		if got := s.text(s.find("#size")); got != "23 bytes" {
			t.Errorf("POST #size shows %q, want 23 bytes", got)
		}
	})

	t.Run("range over h2", func(t *testing.T) {
		s := s.on(t)
		s.navigate(base + "/range.html")
		s.waitTitle("Range requests")
		s.click(s.find(`#range-form button`))
		s.waitText("#range-out", "line 000101 of 065536, bytes 6400-6463")
	})

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
	out := srv.stderr.String()
	for _, want := range []string{`"GET / HTTP/2.0" 200 `, `"GET /style.css HTTP/2.0" 200 `, `"POST /uploads/ HTTP/2.0" 201 `} {
		if !strings.Contains(out, want) {
			t.Errorf("access log lacks %s:\n%s", want, out)
		}
	}
}

// quoteArg writes s as one quoted configuration argument.
func quoteArg(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// testCertificate returns a self-signed certificate for name and its key.
func testCertificate(t *testing.T, name string) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: name},
		DNSNames:     []string{name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
}
