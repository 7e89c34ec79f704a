package main

import (
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// A descriptor the server inherited without close-on-exec (here fd 3,
// passed with ExtraFiles, as a careless parent would leave one) does not
// reach the CGI programs it runs (issue 14 item 11).
func TestCGIDoesNotInheritDescriptors(t *testing.T) {
	addr := freeAddr(t)
	p := writeConf(t, "server {\n    listen "+addr+";\n    root www;\n    location /cgi/ { cgi .sh; }\n}\n")
	script := filepath.Join(filepath.Dir(p), "www", "cgi", "fds.sh")
	if err := os.MkdirAll(filepath.Dir(script), 0o755); err != nil {
		t.Fatal(err)
	}
	prog := "#!/bin/sh\nprintf 'Content-Type: text/plain\\r\\n\\r\\n'\nif [ -e /dev/fd/3 ]; then echo fd3-open; else echo fd3-closed; fi\n"
	if err := os.WriteFile(script, []byte(prog), 0o755); err != nil {
		t.Fatal(err)
	}
	leak, err := os.Open(p) // any file; the child gets it as fd 3, without close-on-exec
	if err != nil {
		t.Fatal(err)
	}
	defer leak.Close()
	cmd := exec.Command(binary, p)
	cmd.ExtraFiles = []*os.File{leak}
	startCmd(t, addr, cmd)

	resp, err := (&http.Client{Timeout: ioTimeout}).Get("http://" + addr + "/cgi/fds.sh")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || strings.TrimSpace(string(body)) != "fd3-closed" {
		t.Errorf("got %d %q, want 200 \"fd3-closed\"", resp.StatusCode, body)
	}
}
