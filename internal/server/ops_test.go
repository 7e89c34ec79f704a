package server_test

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"webserv/internal/config"
	"webserv/internal/http1"
	"webserv/internal/proxyproto"
	"webserv/internal/server"
	"webserv/internal/servertest"
	"webserv/internal/servertest/wait"
)

// Operations (SPEC §1, §6): reload, access log, TLS, PROXY protocol,
// reuseport, status.

// parseConf parses conf for s, with $PORTn replaced by s's ports.
func parseConf(t testing.TB, s *servertest.Server, conf string) *config.Config {
	t.Helper()
	for i := len(s.Addrs) - 1; i >= 0; i-- {
		_, port, _ := net.SplitHostPort(s.Addrs[i])
		conf = strings.ReplaceAll(conf, fmt.Sprintf("$PORT%d", i), port)
	}
	cfg, err := config.Parse("test.conf", []byte(conf), s.Dir)
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	return cfg
}

func fetch(c *http.Client, url string) (int, string, error) {
	resp, err := c.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// genConf is generation gen of the reload test's configuration: the body
// names the generation; even generations also listen on $PORT1.
func genConf(gen int) string {
	conf := fmt.Sprintf("server {\n    listen 127.0.0.1:$PORT0;\n    root www;\n    location / { return 200 \"gen %d\\n\"; }\n}\n", gen)
	if gen%2 == 0 {
		conf += fmt.Sprintf("server {\n    listen 127.0.0.1:$PORT1;\n    root www;\n    location / { return 200 \"other %d\\n\"; }\n}\n", gen)
	}
	return conf
}

// While clients hammer the server over keep-alive and fresh connections,
// the configuration is reloaded again and again. Not one request may fail,
// and every request sent after a reload returned must see that
// configuration or a later one — including the next request on a
// keep-alive connection opened before it.
//
// Not parallel: its clients load the machine on purpose, which the
// tests beside it would feel, and it theirs.
func TestReloadUnderLoad(t *testing.T) {
	s := servertest.Start(t, genConf(0), 2, map[string]string{"www/": ""})
	var cur atomic.Int64 // the generation whose Reload has returned

	const workers = 6
	stop := make(chan struct{})
	var requests, failures atomic.Int64
	var firstErr sync.Once
	var firstErrMsg atomic.Value
	fail := func(msg string) {
		failures.Add(1)
		firstErr.Do(func() { firstErrMsg.Store(msg) })
	}
	var wg sync.WaitGroup
	for w := range workers {
		keepAlive := w%2 == 0
		tr := &http.Transport{DisableKeepAlives: !keepAlive, MaxIdleConnsPerHost: 1}
		defer tr.CloseIdleConnections()
		client := &http.Client{Transport: tr, Timeout: servertest.IOTimeout}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				min := cur.Load()
				code, body, err := fetch(client, s.URL(0, "/"))
				requests.Add(1)
				if err != nil {
					fail(fmt.Sprintf("keepalive=%v: %v", keepAlive, err))
					continue
				}
				var gen int64
				if _, serr := fmt.Sscanf(body, "gen %d\n", &gen); serr != nil || code != 200 || gen < min {
					fail(fmt.Sprintf("keepalive=%v: got %d %q, want generation >= %d", keepAlive, code, body, min))
				}
			}
		}()
	}

	deadline := time.Now().Add(3 * time.Second)
	gen := 0
	for time.Now().Before(deadline) {
		gen++
		if err := s.Srv.Reload(parseConf(t, s, genConf(gen))); err != nil {
			t.Errorf("reload %d: %v", gen, err)
			break
		}
		cur.Store(int64(gen))
		time.Sleep(30 * time.Millisecond) // pace the reloads; the load runs meanwhile
	}
	close(stop)
	wg.Wait()

	t.Logf("reload under load: %d requests, %d failures, %d reloads", requests.Load(), failures.Load(), gen)
	if failures.Load() != 0 {
		t.Errorf("%d of %d requests failed; first: %v", failures.Load(), requests.Load(), firstErrMsg.Load())
	}
	if requests.Load() < 500 {
		t.Errorf("only %d requests: the test did not load the server", requests.Load())
	}

	// The last configuration is in force, and $PORT1 follows it.
	if code, body, err := fetch(servertest.Client(), s.URL(0, "/")); err != nil || code != 200 || body != fmt.Sprintf("gen %d\n", gen) {
		t.Errorf("after the reloads: got %d %q %v, want gen %d", code, body, err, gen)
	}
	c, err := net.DialTimeout("tcp", s.Addrs[1], time.Second)
	if gen%2 == 0 {
		if err != nil {
			t.Errorf("$PORT1 in the configuration but not served: %v", err)
		} else {
			c.Close()
		}
	} else if err == nil {
		c.Close()
		t.Errorf("$PORT1 removed from the configuration but still accepting")
	}
}

// A request in flight during a reload finishes under the configuration it
// started with; the next request on the same connection uses the new one.
func TestReloadInFlight(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, genConf(1), 2, map[string]string{"www/": ""})
	entered, release := make(chan struct{}), make(chan struct{})
	restore := server.SetTestHookServe(s.Srv, func(r *http1.Request) {
		if string(r.Path) == "/slow" {
			close(entered)
			<-release
		}
	})
	defer restore()

	c := s.Dial(t, 0)
	br := bufio.NewReader(c)
	io.WriteString(c, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
	select {
	case <-entered:
	case <-time.After(servertest.IOTimeout):
		t.Fatal("request did not start")
	}
	if err := s.Srv.Reload(parseConf(t, s, genConf(3))); err != nil {
		t.Fatal(err)
	}
	close(release)
	if r := servertest.ReadResponse(t, br, "GET"); string(r.Body) != "gen 1\n" {
		t.Errorf("in-flight request: got %q, want the old configuration's gen 1", r.Body)
	}
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	if r := servertest.ReadResponse(t, br, "GET"); string(r.Body) != "gen 3\n" {
		t.Errorf("next request on the connection: got %q, want gen 3", r.Body)
	}
}

// A reload that cannot be applied (an address in use, a broken
// certificate, an access log in a directory gone since parsing) is
// refused whole: the old configuration keeps serving on its listeners.
func TestReloadFailureKeepsOld(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, genConf(1), 2, map[string]string{"www/": "", "logs/": ""})
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	_, busyPort, _ := net.SplitHostPort(busy.Addr().String())

	certPEM, keyPEM := selfSigned(t, "a.test")
	servertest.WriteFiles(t, s.Dir, map[string]string{"good.crt": string(certPEM), "good.key": string(keyPEM), "bad.crt": "not a certificate", "bad.key": "nor a key"})

	tests := []struct {
		name, conf string
		prepare    func(t *testing.T) // after parsing, before Reload
		want       string
	}{
		{"address in use", genConf(5) + "server { listen 127.0.0.1:" + busyPort + "; root www; }\n", nil, "address already in use"},
		{"bad certificate", "server { listen 127.0.0.1:$PORT0 ssl; ssl_certificate bad.crt; ssl_certificate_key bad.key; location / { return 200 \"tls\\n\"; } }\n", nil, "ssl_certificate"},
		{"access log directory gone", "server { listen 127.0.0.1:$PORT0; access_log gone/access.log; location / { return 200 \"x\\n\"; } }\n",
			func(t *testing.T) { os.Remove(filepath.Join(s.Dir, "gone")) }, "access_log"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			os.MkdirAll(filepath.Join(s.Dir, "gone"), 0o755)
			cfg := parseConf(t, s, tt.conf)
			if tt.prepare != nil {
				tt.prepare(t)
			}
			err := s.Srv.Reload(cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("reload: got %v, want an error containing %q", err, tt.want)
			}
			if code, body, err := fetch(servertest.Client(), s.URL(0, "/")); err != nil || body != "gen 1\n" {
				t.Errorf("after a failed reload: got %d %q %v, want the old gen 1", code, body, err)
			}
		})
	}
	// $PORT1, only in the old configuration (gen 1 is odd: no)... and the
	// failed reloads' new listeners were all closed again: the busy port
	// is still the other listener's only.
	if s.Srv.Config().Servers[0].Locations[0].Return.Text != "gen 1\n" {
		t.Errorf("configuration in force changed")
	}
}

// --- access log ---

type jsonLine struct {
	Time       string  `json:"time"`
	RemoteAddr string  `json:"remote_addr"`
	Method     string  `json:"method"`
	Target     string  `json:"target"`
	Status     int     `json:"status"`
	Bytes      int64   `json:"bytes"`
	DurationMS float64 `json:"duration_ms"`
	UserAgent  string  `json:"user_agent"`
	Referer    string  `json:"referer"`
	ServerName string  `json:"server_name"`
}

// waitLines polls path until it holds n lines (the writer is
// asynchronous) and returns them.
func waitLines(t *testing.T, path string, n int) []string {
	t.Helper()
	var lines []string
	wait.Until(t, servertest.IOTimeout, func() error {
		b, _ := os.ReadFile(path)
		lines = strings.SplitAfter(string(b), "\n")
		if lines[len(lines)-1] == "" {
			lines = lines[:len(lines)-1]
		}
		if len(lines) < n {
			return fmt.Errorf("%s: %d lines, want %d:\n%s", path, len(lines), n, b)
		}
		return nil
	})
	if len(lines) != n {
		t.Fatalf("%s: %d lines, want %d:\n%s", path, len(lines), n, strings.Join(lines, ""))
	}
	return lines
}

var combinedRe = regexp.MustCompile(`^(\S+) - - \[(\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d [-+]\d{4})\] "((?:[^"\\]|\\x[0-9A-F]{2})*)" (\d{3}) (\d+) "((?:[^"\\]|\\x[0-9A-F]{2})*)" "((?:[^"\\]|\\x[0-9A-F]{2})*)"\n$`)

func unescapeNginx(s string) string {
	return regexp.MustCompile(`\\x[0-9A-F]{2}`).ReplaceAllStringFunc(s, func(m string) string {
		v, _ := strconv.ParseUint(m[2:], 16, 8)
		return string([]byte{byte(v)})
	})
}

func TestAccessLog(t *testing.T) {
	t.Parallel()
	const conf = `
access_log logs/main.log;
server {
    listen 127.0.0.1:$PORT0;
    server_name json.test;
    root www;
    access_log logs/json.log json;
    location = /teapot { return 418 "short and stout"; }
}
server {
    listen 127.0.0.1:$PORT1;
    server_name combined.test;
    root www;
}
`
	s := servertest.Start(t, conf, 2, map[string]string{"www/index.html": "hello\n", "logs/": ""})
	hostileUA := "evil\" 200 0 \"-\" \"x\\ é" // quotes, backslash, obs-text (RFC 9110 §5.5)
	send := func(i int, raw string) {
		s.Exchange(t, i, "GET", raw)
	}
	send(0, "GET /index.html?a=b HTTP/1.1\r\nHost: json.test\r\nUser-Agent: "+hostileUA+"\r\nReferer: http://r.test/\r\n\r\n")
	send(0, "GET /teapot HTTP/1.0\r\n\r\n")
	send(1, "GET /index.html HTTP/1.1\r\nHost: combined.test\r\nUser-Agent: "+hostileUA+"\r\nReferer: http://r.test/\"q\r\n\r\n")
	send(1, "GET /missing HTTP/1.1\r\nHost: combined.test\r\n\r\n")
	send(1, "GET /bad path HTTP/1.1\r\n\r\n") // 400: head not parsed

	js := waitLines(t, filepath.Join(s.Dir, "logs", "json.log"), 2)
	var l1, l2 jsonLine
	for i, p := range []*jsonLine{&l1, &l2} {
		dec := json.NewDecoder(strings.NewReader(js[i]))
		dec.DisallowUnknownFields()
		if err := dec.Decode(p); err != nil {
			t.Fatalf("line %d: %v: %q", i, err, js[i])
		}
	}
	if l1.RemoteAddr != "127.0.0.1" || l1.Method != "GET" || l1.Target != "/index.html?a=b" || l1.Status != 200 || l1.Bytes != 6 ||
		l1.UserAgent != hostileUA || l1.Referer != "http://r.test/" || l1.ServerName != "json.test" || l1.DurationMS < 0 {
		t.Errorf("json line 1: %+v", l1)
	}
	if _, err := time.Parse(time.RFC3339, l1.Time); err != nil {
		t.Errorf("json time: %v", err)
	}
	if l2.Status != 418 || l2.Target != "/teapot" || l2.Bytes != int64(len("short and stout")) || l2.UserAgent != "" {
		t.Errorf("json line 2: %+v", l2)
	}

	cl := waitLines(t, filepath.Join(s.Dir, "logs", "main.log"), 3)
	type want struct{ request, status, bytes, referer, ua string }
	for i, w := range []want{
		{"GET /index.html HTTP/1.1", "200", "6", "http://r.test/\"q", hostileUA},
		{"GET /missing HTTP/1.1", "404", "", "-", "-"},
		{"-", "400", "", "-", "-"},
	} {
		m := combinedRe.FindStringSubmatch(cl[i])
		if m == nil {
			t.Errorf("combined line %d does not parse: %q", i, cl[i])
			continue
		}
		if m[1] != "127.0.0.1" || unescapeNginx(m[3]) != w.request || m[4] != w.status || (w.bytes != "" && m[5] != w.bytes) ||
			unescapeNginx(m[6]) != w.referer || unescapeNginx(m[7]) != w.ua {
			t.Errorf("combined line %d: %q", i, cl[i])
		}
	}
	if !strings.Contains(cl[0], `"evil\x22 200 0 \x22-\x22 \x22x\x5C \xC3\xA9"`) {
		t.Errorf("user agent not escaped as nginx does: %q", cl[0])
	}

	// logrotate: rename, reopen, the next line goes to a new file.
	main := filepath.Join(s.Dir, "logs", "main.log")
	if err := os.Rename(main, main+".1"); err != nil {
		t.Fatal(err)
	}
	if err := s.Srv.ReopenLogs(); err != nil {
		t.Fatal(err)
	}
	send(1, "GET /index.html HTTP/1.1\r\nHost: combined.test\r\n\r\n")
	waitLines(t, main, 1)
	waitLines(t, main+".1", 3)
}

// --- TLS ---

// testCA is a certificate authority made for one test.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

func newCA(t *testing.T) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "webserv test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &testCA{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// issue returns a PEM certificate for names, signed by ca, and its key.
func (ca *testCA) issue(t *testing.T, serial int64, names ...string) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial),
		Subject:      pkix.Name{CommonName: names[0]},
		DNSNames:     names,
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	parent, signer := ca.cert, ca.key
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, signer)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
}

func selfSigned(t *testing.T, name string) (certPEM, keyPEM []byte) {
	return newCA(t).issue(t, 2, name)
}

const tlsConf = `
server {
    listen 127.0.0.1:$PORT0 ssl;
    server_name a.test;
    ssl_certificate a.crt;
    ssl_certificate_key a.key;
    location / { return 200 "site a\n"; }
}
server {
    listen 127.0.0.1:$PORT0 ssl default_server;
    server_name b.test *.b.test;
    ssl_certificate b.crt;
    ssl_certificate_key b.key;
    location / { return 200 "site b\n"; }
}
server {
    listen 127.0.0.1:$PORT0;
    server_name nocert.test;
    location / { return 200 "site nocert\n"; }
}
`

// handshake connects to addr with SNI name and returns the leaf
// certificate's serial and the response to GET /.
func handshake(t *testing.T, ca *testCA, addr, name string) (serial int64, body string, err error) {
	t.Helper()
	pool := x509.NewCertPool()
	pool.AddCert(ca.cert)
	d := &net.Dialer{Timeout: servertest.IOTimeout}
	conf := &tls.Config{RootCAs: pool, ServerName: name}
	if name == "" || name == "nocert.test" {
		conf.InsecureSkipVerify = true // the certificate does not name it; the test checks the serial
	}
	c, err := tls.DialWithDialer(d, "tcp", addr, conf)
	if err != nil {
		return 0, "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(servertest.IOTimeout))
	st := c.ConnectionState()
	if st.Version < tls.VersionTLS12 || st.NegotiatedProtocol != "" && st.NegotiatedProtocol != "http/1.1" {
		t.Errorf("negotiated version %x protocol %q", st.Version, st.NegotiatedProtocol)
	}
	host := name
	if host == "" {
		host = "x"
	}
	fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", host)
	r := servertest.ReadResponse(t, bufio.NewReader(c), "GET")
	return st.PeerCertificates[0].SerialNumber.Int64(), string(r.Body), nil
}

// Two servers on one TLS port: SNI picks each one's certificate (exact,
// wildcard, unknown name and no name to the default server), the Host
// header picks the content, curl verifies the chain, and a reload brings
// renewed certificates to the next handshake.
func TestTLSSNI(t *testing.T) {
	t.Parallel()
	ca := newCA(t)
	aCert, aKey := ca.issue(t, 10, "a.test")
	bCert, bKey := ca.issue(t, 20, "b.test", "*.b.test")
	s := servertest.Start(t, tlsConf, 1, map[string]string{
		"a.crt": string(aCert), "a.key": string(aKey), "b.crt": string(bCert), "b.key": string(bKey),
		"ca.pem": string(ca.pem),
	})
	addr := s.Addrs[0]
	tests := []struct {
		sni    string
		serial int64
		body   string
	}{
		{"a.test", 10, "site a\n"},
		{"A.TEST", 10, "site a\n"},
		{"b.test", 20, "site b\n"},
		{"www.b.test", 20, "site b\n"},
		{"nocert.test", 20, "site nocert\n"}, // its server has no certificate: the default's
		{"", 20, "site b\n"},
	}
	for _, tt := range tests {
		t.Run("sni "+tt.sni, func(t *testing.T) {
			serial, body, err := handshake(t, ca, addr, tt.sni)
			if err != nil {
				t.Fatal(err)
			}
			if serial != tt.serial || body != tt.body {
				t.Errorf("got certificate %d body %q, want %d %q", serial, body, tt.serial, tt.body)
			}
		})
	}
	t.Run("TLS 1.1 refused", func(t *testing.T) {
		c, err := tls.DialWithDialer(&net.Dialer{Timeout: servertest.IOTimeout}, "tcp", addr, &tls.Config{InsecureSkipVerify: true, MaxVersion: tls.VersionTLS11})
		if err == nil {
			c.Close()
			t.Fatal("TLS 1.1 handshake succeeded")
		}
	})
	t.Run("plain HTTP on the TLS port", func(t *testing.T) {
		c := s.Dial(t, 0)
		io.WriteString(c, "GET / HTTP/1.1\r\nHost: a.test\r\n\r\n")
		b, _ := io.ReadAll(c)
		if strings.Contains(string(b), "site") {
			t.Errorf("plain HTTP answered on a TLS port: %q", b)
		}
	})
	t.Run("curl", func(t *testing.T) {
		if _, err := exec.LookPath("curl"); err != nil {
			t.Skip("curl not installed")
		}
		_, port, _ := net.SplitHostPort(addr)
		for _, name := range []string{"a.test", "www.b.test"} {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			out, err := exec.CommandContext(ctx, "curl", "-sS", "--max-time", "10", "--cacert", filepath.Join(s.Dir, "ca.pem"),
				"--resolve", name+":"+port+":127.0.0.1", "https://"+name+":"+port+"/").CombinedOutput()
			cancel()
			want := "site a\n"
			if name != "a.test" {
				want = "site b\n"
			}
			if err != nil || string(out) != want {
				t.Errorf("curl %s: %v %q, want %q", name, err, out, want)
			}
		}
	})
	t.Run("certificates reloaded", func(t *testing.T) {
		aCert2, aKey2 := ca.issue(t, 11, "a.test")
		servertest.WriteFiles(t, s.Dir, map[string]string{"a.crt": string(aCert2), "a.key": string(aKey2)})
		if err := s.Srv.Reload(parseConf(t, s, tlsConf)); err != nil {
			t.Fatal(err)
		}
		if serial, _, err := handshake(t, ca, addr, "a.test"); err != nil || serial != 11 {
			t.Errorf("after reload: certificate %d %v, want the renewed 11", serial, err)
		}
	})
}

// A CGI program sees HTTPS=on over TLS.
func TestTLSCGI(t *testing.T) {
	t.Parallel()
	cert, key := selfSigned(t, "a.test")
	conf := `
server {
    listen 127.0.0.1:$PORT0 ssl;
    ssl_certificate a.crt;
    ssl_certificate_key a.key;
    root www;
    location /cgi/ { cgi .sh sh; }
}
`
	s := servertest.Start(t, conf, 1, map[string]string{"a.crt": string(cert), "a.key": string(key),
		"www/cgi/env.sh": "printf 'Content-Type: text/plain\\r\\n\\r\\n'\nenv\n"})
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: servertest.IOTimeout}, "tcp", s.Addrs[0], &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(servertest.IOTimeout))
	io.WriteString(c, "GET /cgi/env.sh HTTP/1.1\r\nHost: a.test\r\n\r\n")
	r := servertest.ReadResponse(t, bufio.NewReader(c), "GET")
	if !strings.Contains(string(r.Body), "HTTPS=on") {
		t.Errorf("CGI environment over TLS lacks HTTPS=on:\n%s", r.Body)
	}
}

// --- PROXY protocol ---

// The client address of the PROXY header, not the balancer's, is what the
// access log and CGI's REMOTE_ADDR see; a connection without a valid
// header is closed unanswered.
func TestProxyProtocol(t *testing.T) {
	t.Parallel()
	conf := `
server {
    listen 127.0.0.1:$PORT0 proxy_protocol;
    root www;
    access_log logs/access.log json;
    client_header_timeout 2s;
    location /cgi/ { cgi .sh sh; }
}
`
	s := servertest.Start(t, conf, 1, map[string]string{"logs/": "",
		"www/cgi/addr.sh": "printf 'Content-Type: text/plain\\r\\n\\r\\n%s %s' \"$REMOTE_ADDR\" \"$REMOTE_PORT\"\n"})
	v4 := proxyproto.Header{Source: netip.MustParseAddrPort("203.0.113.7:40000"), Destination: netip.MustParseAddrPort("198.51.100.1:443")}
	v6 := proxyproto.Header{Source: netip.MustParseAddrPort("[2001:db8::7]:40001"), Destination: netip.MustParseAddrPort("[2001:db8::1]:443")}
	mapped := proxyproto.Header{Source: netip.MustParseAddrPort("[::ffff:192.0.2.9]:40002"), Destination: netip.MustParseAddrPort("[2001:db8::1]:443")}
	tests := []struct {
		name, hdr, want string
	}{
		{"v1 tcp4", string(v4.AppendV1(nil)), "203.0.113.7 40000"},
		{"v1 tcp6", string(v6.AppendV1(nil)), "2001:db8::7 40001"},
		{"v1 unknown", "PROXY UNKNOWN\r\n", "127.0.0.1 "},
		{"v2 tcp4", string(v4.AppendV2(nil)), "203.0.113.7 40000"},
		{"v2 tcp6", string(v6.AppendV2(nil)), "2001:db8::7 40001"},
		{"v2 mapped v4", string(mapped.AppendV2(nil)), "192.0.2.9 40002"},
		{"v2 local", string(proxyproto.Header{Local: true}.AppendV2(nil)), "127.0.0.1 "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, _ := s.Exchange(t, 0, "GET", tt.hdr+"GET /cgi/addr.sh HTTP/1.1\r\nHost: x\r\n\r\n")
			if r.StatusCode != 200 || !strings.HasPrefix(string(r.Body), tt.want) {
				t.Errorf("got %d %q, want REMOTE_ADDR and REMOTE_PORT %q", r.StatusCode, r.Body, tt.want)
			}
		})
	}
	lines := waitLines(t, filepath.Join(s.Dir, "logs", "access.log"), len(tests))
	for i, want := range []string{"203.0.113.7", "2001:db8::7", "127.0.0.1", "203.0.113.7", "2001:db8::7", "192.0.2.9", "127.0.0.1"} {
		var l jsonLine
		if err := json.Unmarshal([]byte(lines[i]), &l); err != nil || l.RemoteAddr != want {
			t.Errorf("%s: logged remote_addr %q (%v), want %q", tests[i].name, l.RemoteAddr, err, want)
		}
	}

	// Without a valid header the connection is closed unanswered.
	for _, tt := range []struct{ name, raw string }{
		{"plain HTTP", "GET / HTTP/1.1\r\nHost: x\r\n\r\n"},
		{"bad v1", "PROXY TCP4 1.2.3.4 5.6.7.8 99999 1\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n"},
		{"v2 udp", string(append(v4.AppendV2(nil)[:13], 0x12)) + "\x00\x0c" + strings.Repeat("\x00", 12) + "GET / HTTP/1.1\r\nHost: x\r\n\r\n"},
	} {
		t.Run("rejected "+tt.name, func(t *testing.T) {
			c := s.Dial(t, 0)
			io.WriteString(c, tt.raw)
			b, err := io.ReadAll(c)
			if len(b) != 0 || err != nil && !errors.Is(err, syscall.ECONNRESET) {
				t.Errorf("got %q %v, want the connection closed unanswered", b, err)
			}
		})
	}
	t.Run("header timeout", func(t *testing.T) {
		c := s.Dial(t, 0)
		io.WriteString(c, "PROXY TCP4 1.2.3.4 ")
		b, err := io.ReadAll(c) // closed after client_header_timeout (2s)
		if len(b) != 0 || err != nil && !errors.Is(err, syscall.ECONNRESET) {
			t.Errorf("got %q %v, want the connection closed", b, err)
		}
	})
}

// --- reuseport ---

// Two servers bound to one port with reuseport both receive connections
// (the kernel spreads them by a hash of the client's address and port).
func TestReusePort(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	var srvs []*server.Server
	for i := range 2 {
		conf := fmt.Sprintf("server {\n listen %s reuseport;\n location / { return 200 \"instance %d\"; }\n}\n", addr, i)
		cfg, err := config.Parse("test.conf", []byte(conf), t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		srv := server.New(cfg, slog.New(slog.DiscardHandler))
		if err := srv.Listen(nil); err != nil {
			t.Fatalf("instance %d: %v", i, err)
		}
		done := make(chan error, 1)
		go func() { done <- srv.Serve() }()
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			srv.Shutdown(ctx)
			<-done
		})
		srvs = append(srvs, srv)
	}
	// Without reuseport the port cannot be shared.
	if _, err := net.Listen("tcp", addr); err == nil {
		t.Fatal("a plain listener could bind the reuseport address")
	}
	seen := map[string]int{}
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: servertest.IOTimeout}
	for i := 0; i < 500 && (seen["instance 0"] == 0 || seen["instance 1"] == 0); i++ {
		code, body, err := fetch(client, "http://"+addr+"/")
		if err != nil || code != 200 {
			t.Fatalf("request %d: %d %v", i, code, err)
		}
		seen[body]++
	}
	if seen["instance 0"] == 0 || seen["instance 1"] == 0 {
		t.Errorf("connections went to %v, want both instances", seen)
	}
}

// --- status ---

func TestStatus(t *testing.T) {
	t.Parallel()
	conf := `
server {
    listen 127.0.0.1:$PORT0;
    root www;
    location = /metrics { status; }
}
`
	s := servertest.Start(t, conf, 1, map[string]string{"www/index.html": "hi"})
	client := servertest.Client()
	for range 3 {
		fetch(client, s.URL(0, "/"))
	}
	fetch(client, s.URL(0, "/missing"))
	idle := s.Dial(t, 0) // an open connection waiting for its first request
	_ = idle

	// The server counts the dialed connection once it has accepted it,
	// which may be after the dial returns: ask until it shows.
	// Past the timeout the checks below say what is missing.
	var resp *http.Response
	var b []byte
	wait.Poll(servertest.IOTimeout, func() error {
		var err error
		resp, err = client.Get(s.URL(0, "/metrics"))
		if err != nil {
			t.Fatal(err)
		}
		b, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		if strings.Contains(string(b), "\nwebserv_connections_waiting 0\n") {
			return errors.New("the dialed connection is not counted yet")
		}
		return nil
	})
	if ct := resp.Header.Get("Content-Type"); ct != "text/plain; version=0.0.4; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	m := map[string]float64{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if strings.HasPrefix(line, "#") {
			if !regexp.MustCompile(`^# (HELP \w+ .+|TYPE \w+ (counter|gauge))$`).MatchString(line) {
				t.Errorf("bad comment line %q", line)
			}
			continue
		}
		name, v, ok := strings.Cut(line, " ")
		f, err := strconv.ParseFloat(v, 64)
		if !ok || err != nil {
			t.Errorf("bad sample line %q", line)
		}
		m[name] = f
	}
	checks := []struct {
		name string
		ok   func(float64) bool
	}{
		{`webserv_requests_total{class="2xx"}`, func(v float64) bool { return v >= 3 }},
		{`webserv_requests_total{class="4xx"}`, func(v float64) bool { return v >= 1 }},
		{"webserv_connections_accepted_total", func(v float64) bool { return v >= 2 }},
		{"webserv_connections_open", func(v float64) bool { return v >= 2 }},
		{"webserv_connections_waiting", func(v float64) bool { return v >= 1 }},
		{"webserv_connections_active", func(v float64) bool { return v >= 1 }},
		{"webserv_sent_bytes_total", func(v float64) bool { return v > 0 }},
		{"webserv_reloads_total", func(v float64) bool { return v == 0 }},
		{"webserv_access_log_dropped_total", func(v float64) bool { return v == 0 }},
		{"webserv_cgi_running", func(v float64) bool { return v == 0 }},
	}
	for _, c := range checks {
		if v, ok := m[c.name]; !ok || !c.ok(v) {
			t.Errorf("%s = %v (present %v)\n%s", c.name, v, ok, b)
		}
	}
	if err := s.Srv.Reload(parseConf(t, s, conf)); err != nil {
		t.Fatal(err)
	}
	_, body, _ := fetch(client, s.URL(0, "/metrics"))
	if !strings.Contains(body, "\nwebserv_reloads_total 1\n") {
		t.Errorf("reload not counted:\n%s", body)
	}
	if code, _, _ := func() (int, string, error) {
		req, _ := http.NewRequest("POST", s.URL(0, "/metrics"), strings.NewReader("x"))
		resp, err := client.Do(req)
		if err != nil {
			return 0, "", err
		}
		resp.Body.Close()
		return resp.StatusCode, "", nil
	}(); code != 405 {
		t.Errorf("POST to the status location: %d, want 405", code)
	}
}

// A reload that turns reuseport on reopens the socket with SO_REUSEPORT
// (another reuseport socket can then bind the port); turning it off again
// reopens it without.
func TestReloadChangesReusePort(t *testing.T) {
	t.Parallel()
	const plain = "server {\n    listen 127.0.0.1:$PORT0;\n    location / { return 200 \"plain\"; }\n}\n"
	const reuse = "server {\n    listen 127.0.0.1:$PORT0 reuseport;\n    location / { return 200 \"reuse\"; }\n}\n"
	s := servertest.Start(t, plain, 1, map[string]string{"html/": ""})
	canShare := func() bool {
		ln, err := (&net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
			c.Control(func(fd uintptr) { syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, server.SoReusePort, 1) })
			return nil
		}}).Listen(context.Background(), "tcp", s.Addrs[0])
		if err == nil {
			ln.Close()
		}
		return err == nil
	}
	for _, step := range []struct {
		conf, body string
		share      bool
	}{{reuse, "reuse", true}, {plain, "plain", false}} {
		if err := s.Srv.Reload(parseConf(t, s, step.conf)); err != nil {
			t.Fatal(err)
		}
		if code, body, err := fetch(servertest.Client(), s.URL(0, "/")); err != nil || code != 200 || body != step.body {
			t.Errorf("after reload to %s: %d %q %v", step.body, code, body, err)
		}
		if got := canShare(); got != step.share {
			t.Errorf("after reload to %s: another reuseport socket can bind: %v, want %v", step.body, got, step.share)
		}
	}
}

// An access log that cannot be opened at startup (its directory went away
// after the configuration was checked) is reported at the access_log
// directive's FILE:LINE:COL, like every configuration error (SPEC §1),
// and no port is opened.
func TestListenAccessLogErrorPosition(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "logs"), 0o755); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cfg, err := config.Parse("t.conf", []byte("server {\n    listen "+addr+";\n    access_log logs/a.log;\n}\n"), dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "logs")); err != nil {
		t.Fatal(err)
	}
	srv := server.New(cfg, slog.New(slog.DiscardHandler))
	err = srv.Listen(nil)
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		t.Fatal("Listen succeeded with the log directory gone")
	}
	if want := "t.conf:3:16: access_log: "; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("got %q, want it to start with %q", err, want)
	}
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Errorf("%s accepts connections after a failed start", addr)
	}
}
