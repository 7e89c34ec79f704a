package server_test

import (
	"slices"
	"testing"

	"webserv/internal/servertest"
)

// TestUploadSandbox: files (and the listing) served from a location with
// an upload_store carry "Content-Security-Policy: sandbox" and
// "X-Content-Type-Options: nosniff", so an uploaded .html or .svg cannot
// run script as the server's origin (issue 14 item 10); upload_sandbox off
// turns it off, and other locations are untouched.
func TestUploadSandbox(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, `
server {
    listen 127.0.0.1:$PORT0;
    root www;
    location /up/ { alias store/; upload_store store; autoindex on; methods GET HEAD POST; }
    location /dup/ {
        alias store/; upload_store store;
        add_header X-Content-Type-Options nosniff;
        add_header Content-Security-Policy "default-src 'self'";
    }
    location /open/ { alias open/; upload_store open; upload_sandbox off; methods GET HEAD POST; }
}
`, 1, map[string]string{
		"www/page.html": "<p>site</p>",
		"store/x.html":  "<script>alert(document.cookie)</script>",
		"store/img.svg": `<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`,
		"open/x.html":   "<p>trusted</p>",
	})
	tests := []struct {
		method, path string
		wantStatus   int
		wantCSP      []string
		wantNosniff  []string
	}{
		{"GET", "/up/x.html", 200, []string{"sandbox"}, []string{"nosniff"}},
		{"HEAD", "/up/x.html", 200, []string{"sandbox"}, []string{"nosniff"}},
		{"GET", "/up/img.svg", 200, []string{"sandbox"}, []string{"nosniff"}},
		{"GET", "/up/", 200, []string{"sandbox"}, []string{"nosniff"}}, // the listing
		{"GET", "/dup/x.html", 200, []string{"default-src 'self'", "sandbox"}, []string{"nosniff"}},
		{"GET", "/open/x.html", 200, nil, nil},
		{"GET", "/page.html", 200, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			resp, _ := s.Exchange(t, 0, tt.method, tt.method+" "+tt.path+" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if got := resp.Header.Values("Content-Security-Policy"); !slices.Equal(got, tt.wantCSP) {
				t.Errorf("Content-Security-Policy %q, want %q", got, tt.wantCSP)
			}
			if got := resp.Header.Values("X-Content-Type-Options"); !slices.Equal(got, tt.wantNosniff) {
				t.Errorf("X-Content-Type-Options %q, want %q", got, tt.wantNosniff)
			}
		})
	}
}
