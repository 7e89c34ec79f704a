package upload

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"webserv/internal/http1"
)

// TestPostProbesBounded: choosing a free name costs a bounded number of
// probes per file, however many "same-N" names the store already holds
// (issue 14 item 3: 10,000 of them made one request cost 15 s of CPU).
func TestPostProbesBounded(t *testing.T) {
	t.Parallel()
	loc := newLoc(t)
	const existing = 1000
	for i := range existing + 1 {
		if err := os.WriteFile(filepath.Join(loc.UploadStore, numbered("same.bin", i)), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	const files = 50
	parts := make([]part, files)
	for i := range parts {
		parts[i] = part{"f", "same.bin", fmt.Sprint(i)}
	}
	body, ctype := multipartBody(t, parts...)

	env, count := CountProbes()
	req := newReq("POST", "Content-Type", ctype, "Accept", "application/json")
	resp, _, err := serve(t, req, func(w *http1.ResponseWriter) error {
		return Post(w, req, bytes.NewReader(body), loc, "/uploads/", env)
	})
	probes := count()
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 201 {
		t.Fatalf("status %d, want 201", resp.StatusCode)
	}
	// A constant per file, not the store's size: seqTries+randTries+1 is
	// the most linkUnique ever tries.
	if max := int64(files * 13); probes > max {
		t.Errorf("%d probes for %d files, want at most %d", probes, files, max)
	}
	names := dirNames(t, loc.UploadStore)
	if got, want := len(names), existing+1+files; got != want {
		t.Errorf("%d names in the store, want %d", got, want)
	}
	for _, n := range names {
		if !strings.HasPrefix(n, "same-") && n != "same.bin" || !strings.HasSuffix(n, ".bin") {
			t.Errorf("stored as %q, want same-<suffix>.bin", n)
		}
	}
}

// TestPostTooManyParts: a body of many small form fields (no files) is
// refused at maxParts, not parsed to its end, and stores nothing.
func TestPostTooManyParts(t *testing.T) {
	t.Parallel()
	loc := newLoc(t)
	parts := []part{{"f", "a.txt", "a"}}
	for range maxParts {
		parts = append(parts, part{"x", "", "y"})
	}
	body, ctype := multipartBody(t, parts...)
	req := newReq("POST", "Content-Type", ctype)
	_, _, err := serve(t, req, func(w *http1.ResponseWriter) error {
		return Post(w, req, bytes.NewReader(body), loc, "/uploads/", nil)
	})
	if status(err) != 413 {
		t.Errorf("error %v (status %d), want 413", err, status(err))
	}
	if names := dirNames(t, loc.UploadStore); len(names) != 0 {
		t.Errorf("store holds %q after a refused upload", names)
	}
}

// TestPostPartHeaderLimit: a part header longer than Env.MaxPartHeader is
// 431 with the files already stored removed; one within it is stored
// (mime/multipart alone accepts 10 MB of part header).
func TestPostPartHeaderLimit(t *testing.T) {
	t.Parallel()
	const limit = 8 << 10
	body := func(pad int) []byte {
		return []byte("--B\r\nContent-Disposition: form-data; name=\"f\"; filename=\"first.txt\"\r\n\r\nfirst\r\n" +
			"--B\r\nContent-Disposition: form-data; name=\"f\"; filename=\"second.txt\"\r\n" +
			"X-Pad: " + strings.Repeat("a", pad) + "\r\n\r\nsecond\r\n--B--\r\n")
	}
	tests := []struct {
		name       string
		pad        int
		wantStatus int // 0: stored
	}{
		{"within", limit - 200, 0},
		{"1 MB", 1 << 20, 431},
		// Read-ahead before arming plus read-ahead past the header.
		{"over limit and read-ahead", limit + 2*multipartReadAhead + 100, 431},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			loc := newLoc(t)
			req := newReq("POST", "Content-Type", "multipart/form-data; boundary=B")
			_, _, err := serve(t, req, func(w *http1.ResponseWriter) error {
				return Post(w, req, bytes.NewReader(body(tt.pad)), loc, "/uploads/", &Env{MaxPartHeader: limit})
			})
			names := dirNames(t, loc.UploadStore)
			if tt.wantStatus == 0 {
				if err != nil || len(names) != 2 {
					t.Errorf("error %v, store %q; want both files stored", err, names)
				}
				return
			}
			if status(err) != tt.wantStatus {
				t.Errorf("error %v (status %d), want %d", err, status(err), tt.wantStatus)
			}
			if len(names) != 0 {
				t.Errorf("store holds %q after a refused upload", names)
			}
		})
	}
}

// TestPostRefusedCostsNoSync: a multipart POST refused half-way — at its
// (maxFiles+1)th file — fsyncs none of the files it rolls back (issue 14:
// 1,000 fsyncs made each such request cost seconds of CPU and disk time,
// and it can be repeated forever); one that succeeds fsyncs each file it
// stores, once.
func TestPostRefusedCostsNoSync(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		files      int
		wantStatus int
		wantSyncs  int64
	}{
		{maxFiles + 1, 413, 0},
		{3, 201, 3},
	} {
		t.Run(fmt.Sprint(tc.files, " files"), func(t *testing.T) {
			loc := newLoc(t)
			parts := make([]part, tc.files)
			for i := range parts {
				parts[i] = part{"f", fmt.Sprintf("p%d.bin", i), "x"}
			}
			body, ctype := multipartBody(t, parts...)
			env, count := CountSyncs()
			req := newReq("POST", "Content-Type", ctype, "Accept", "application/json")
			resp, _, err := serve(t, req, func(w *http1.ResponseWriter) error {
				return Post(w, req, bytes.NewReader(body), loc, "/uploads/", env)
			})
			syncs := count()
			names := dirNames(t, loc.UploadStore)
			if tc.wantStatus != 201 {
				if status(err) != tc.wantStatus {
					t.Errorf("error %v (status %d), want %d", err, status(err), tc.wantStatus)
				}
				if len(names) != 0 {
					t.Errorf("store holds %d names after a refused upload, first %q", len(names), names[0])
				}
			} else if err != nil || resp.StatusCode != 201 || len(names) != tc.files {
				t.Errorf("error %v, status %v, %d names stored; want 201 and %d", err, resp, len(names), tc.files)
			}
			if syncs != tc.wantSyncs {
				t.Errorf("%d files fsynced, want %d", syncs, tc.wantSyncs)
			}
		})
	}
}
