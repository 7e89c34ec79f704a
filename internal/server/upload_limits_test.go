package server_test

import (
	"bufio"
	"strconv"
	"strings"
	"testing"

	"webserv/internal/servertest"
)

// TestUploadPartHeaderTooLarge: a multipart part whose header is over
// client_max_header_size is answered 431 and the connection closed, and
// the file stored before it in the same request is removed (issue 14
// item 4: mime/multipart alone accepts 10 MB part headers).
func TestUploadPartHeaderTooLarge(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, `
server {
    listen 127.0.0.1:$PORT0;
    root www;
    client_max_header_size 4k;
    location /up/ {
        upload_store store;
        methods GET POST;
        client_max_body_size 8m;
    }
}
`, 1, map[string]string{"www/": "", "store/": ""})
	body := "--B\r\nContent-Disposition: form-data; name=\"f\"; filename=\"first.txt\"\r\n\r\nfirst\r\n" +
		"--B\r\nContent-Disposition: form-data; name=\"f\"; filename=\"second.txt\"\r\n" +
		"X-Pad: " + strings.Repeat("a", 1<<20+1) + "\r\n\r\nsecond\r\n--B--\r\n"
	c := s.Dial(t, 0)
	go func() {
		// The server answers before reading it all; a write error then
		// is expected and the answer is still readable.
		c.Write([]byte("POST /up/ HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=B\r\n" +
			"Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body))
	}()
	br := bufio.NewReader(c)
	resp := servertest.ReadResponse(t, br, "POST")
	if resp.StatusCode != 431 {
		t.Fatalf("status %d, want 431", resp.StatusCode)
	}
	if !servertest.IsClosed(c, br) {
		t.Error("connection kept open after a 431 with the body unread")
	}
	if names := storeFiles(t, s); len(names) != 0 {
		t.Errorf("store holds %q after a refused upload", names)
	}
}
