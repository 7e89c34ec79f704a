package cgi

import (
	"bufio"
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestParseHeader(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		status int
		loc    string
		fields int
		bad    bool
		rest   string
	}{
		{name: "crlf", in: "Content-Type: text/plain\r\nStatus: 201 Created\r\n\r\nbody", status: 201, fields: 1, rest: "body"},
		{name: "lf", in: "Content-Type: text/plain\n\nbody", fields: 1, rest: "body"},
		{name: "mixed", in: "A: 1\r\nB: 2\n\r\n", fields: 2},
		{name: "location", in: "Location: /x\n\n", loc: "/x", fields: 1},
		{name: "status only", in: "Status: 404\n\n", status: 404},
		{name: "status case", in: "STATUS:500 oops\n\n", status: 500},
		{name: "empty value", in: "X-Empty:\n\n", fields: 1},
		{name: "long line", in: "X-Long: " + strings.Repeat("a", 10000) + "\n\n", fields: 1},
		{name: "no colon", in: "nonsense\n\n", bad: true},
		{name: "empty name", in: ": v\n\n", bad: true},
		{name: "space in name", in: "A B: v\n\n", bad: true},
		{name: "space before colon", in: "A : v\n\n", bad: true},
		{name: "obs-fold", in: "A: v\n w\n\n", bad: true},
		{name: "bare CR in value", in: "A: v\rX: y\n\n", bad: true},
		{name: "NUL in value", in: "A: v\x00\n\n", bad: true},
		{name: "duplicate status", in: "Status: 200\nStatus: 404\n\n", bad: true},
		{name: "duplicate location", in: "Location: /a\nLocation: /b\n\n", bad: true},
		{name: "short status", in: "Status: 20\n\n", bad: true},
		{name: "status 600", in: "Status: 600\n\n", bad: true},
		{name: "status glued", in: "Status: 2000\n\n", bad: true},
		{name: "empty section", in: "\n", bad: true},
		{name: "no output", in: "", bad: true},
		{name: "eof in header", in: "A: b\n", bad: true},
		{name: "eof mid line", in: "A: b", bad: true},
		{name: "too large", in: strings.Repeat("X-A: "+strings.Repeat("b", 1000)+"\n", 70) + "\n", bad: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			br := bufio.NewReaderSize(strings.NewReader(tc.in), 16)
			h, err := parseHeader(br)
			if tc.bad {
				var he *headerError
				if !errors.As(err, &he) {
					t.Fatalf("got %+v, %v; want a headerError", h, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("error %v", err)
			}
			if h.status != tc.status || h.location != tc.loc || len(h.fields) != tc.fields {
				t.Fatalf("got status %d location %q %d fields, want %d %q %d", h.status, h.location, len(h.fields), tc.status, tc.loc, tc.fields)
			}
			rest, _ := br.Peek(br.Buffered())
			if string(rest) != tc.rest && !strings.HasPrefix(tc.rest, string(rest)) {
				t.Errorf("rest %q, want %q", rest, tc.rest)
			}
		})
	}
}

func FuzzParseHeader(f *testing.F) {
	for _, s := range []string{
		"Content-Type: text/plain\r\n\r\nbody",
		"Status: 404 Not Found\nLocation: /x\n\n",
		"Location: http://a/\n\n",
		"A: b\n c\n\n",
		"Status: 20x\n\n",
		"\n",
		"",
		"X: " + strings.Repeat("y", 5000) + "\r\n\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := parseHeader(bufio.NewReaderSize(bytes.NewReader(data), 16))
		if err != nil {
			if h != nil {
				t.Fatal("header and error")
			}
			return
		}
		if h.status != 0 && (h.status < 200 || h.status > 599) {
			t.Fatalf("status %d", h.status)
		}
		if h.status == 0 && len(h.fields) == 0 {
			t.Fatal("empty header accepted")
		}
		for _, fl := range h.fields {
			if fl.name == "" || strings.ContainsAny(fl.name, ": \t\r\n") {
				t.Fatalf("bad name %q", fl.name)
			}
			if strings.ContainsAny(fl.value, "\r\n\x00") {
				t.Fatalf("bad value %q", fl.value)
			}
		}
	})
}
