package static

import (
	"reflect"
	"testing"
	"time"

	"webserv/internal/http1"
)

func TestParseRange(t *testing.T) {
	const size = 1000
	tests := []struct {
		v    string
		want []byteRange
		res  rangeResult
	}{
		{"bytes=0-99", []byteRange{{0, 100}}, rangeOK},
		{"bytes=100-", []byteRange{{100, 900}}, rangeOK},
		{"bytes=-100", []byteRange{{900, 100}}, rangeOK},
		{"bytes=-5000", []byteRange{{0, 1000}}, rangeOK},
		{"bytes=990-5000", []byteRange{{990, 10}}, rangeOK},
		{"BYTES = 0-0", []byteRange{{0, 1}}, rangeOK},
		{"bytes=0-9, 20-29,\t-10", []byteRange{{0, 10}, {20, 10}, {990, 10}}, rangeOK},
		{"bytes=0-9,,", []byteRange{{0, 10}}, rangeOK},
		{"bytes=1000-", nil, rangeUnsatisfiable},
		{"bytes=5000-6000", nil, rangeUnsatisfiable},
		{"bytes=-0", nil, rangeUnsatisfiable},
		{"bytes=1000-,2000-2001", nil, rangeUnsatisfiable},
		{"bytes=1000-,0-1", []byteRange{{0, 2}}, rangeOK}, // the satisfiable ones remain
		{"bytes=", nil, rangeIgnore},
		{"bytes=10-5", nil, rangeIgnore},
		{"bytes=a-b", nil, rangeIgnore},
		{"bytes=+1-2", nil, rangeIgnore},
		{"bytes=0x10-20", nil, rangeIgnore},
		{"bytes=5", nil, rangeIgnore},
		{"bytes=99999999999999999999-", nil, rangeIgnore},
		{"items=0-1", nil, rangeIgnore},
		{"0-1", nil, rangeIgnore},
		{"bytes=0-999,0-999", nil, rangeIgnore},       // total exceeds the file
		{"bytes=0-,0-,0-,0-", nil, rangeIgnore},       // overlapping abuse
		{"bytes=" + manyRanges(65), nil, rangeIgnore}, // too many
	}
	for _, tt := range tests {
		got, res := parseRange(tt.v, size, nil)
		if res != tt.res || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("parseRange(%q) = %v, %v; want %v, %v", tt.v, got, res, tt.want, tt.res)
		}
	}
	if _, res := parseRange("bytes=0-", 0, nil); res != rangeUnsatisfiable {
		t.Errorf("range of an empty file: got %v, want unsatisfiable", res)
	}
}

func manyRanges(n int) string {
	s := ""
	for i := range n {
		if i > 0 {
			s += ","
		}
		s += "1-1"
	}
	return s
}

func TestMatchList(t *testing.T) {
	const etag = `"5f-10"`
	tests := []struct {
		list         string
		strong, weak bool
	}{
		{`"5f-10"`, true, true},
		{`W/"5f-10"`, false, true},
		{`"a", "5f-10"`, true, true},
		{`"a",W/"5f-10"`, false, true},
		{`*`, true, true},
		{` * `, true, true},
		{`"a"`, false, false},
		{`5f-10`, false, false},    // unquoted: malformed
		{`"5f-10`, false, false},   // unterminated
		{`"5f-1"`, false, false},   // prefix only
		{`"5f-100"`, false, false}, //
		{``, false, false},
	}
	for _, tt := range tests {
		if got := matchList(tt.list, etag, true); got != tt.strong {
			t.Errorf("strong matchList(%q) = %v, want %v", tt.list, got, tt.strong)
		}
		if got := matchList(tt.list, etag, false); got != tt.weak {
			t.Errorf("weak matchList(%q) = %v, want %v", tt.list, got, tt.weak)
		}
	}
}

func TestEvaluate(t *testing.T) {
	mod := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	const etag = `"1-2"`
	before := mod.Add(-time.Hour).Format(http1.TimeFormat)
	at := mod.Format(http1.TimeFormat)
	after := mod.Add(time.Hour).Format(http1.TimeFormat)
	tests := []struct {
		name   string
		fields []string
		want   precondition
	}{
		{"none", nil, proceed},
		{"if-match hit", []string{"If-Match", etag}, proceed},
		{"if-match miss", []string{"If-Match", `"x"`}, failed},
		{"if-match weak", []string{"If-Match", `W/"1-2"`}, failed},
		{"if-match star", []string{"If-Match", "*"}, proceed},
		{"ius before", []string{"If-Unmodified-Since", before}, failed},
		{"ius at", []string{"If-Unmodified-Since", at}, proceed},
		{"ius invalid ignored", []string{"If-Unmodified-Since", "yesterday"}, proceed},
		{"if-match wins over ius", []string{"If-Match", etag, "If-Unmodified-Since", before}, proceed},
		{"inm hit", []string{"If-None-Match", etag}, notModified},
		{"inm weak hit", []string{"If-None-Match", `W/"1-2"`}, notModified},
		{"inm list", []string{"If-None-Match", `"a", "1-2"`}, notModified},
		{"inm miss", []string{"If-None-Match", `"a"`}, proceed},
		{"ims at", []string{"If-Modified-Since", at}, notModified},
		{"ims after", []string{"If-Modified-Since", after}, notModified},
		{"ims before", []string{"If-Modified-Since", before}, proceed},
		{"ims rfc850", []string{"If-Modified-Since", mod.Format(time.RFC850)}, notModified},
		{"ims asctime", []string{"If-Modified-Since", mod.Format(time.ANSIC)}, notModified},
		{"inm miss beats ims", []string{"If-None-Match", `"a"`, "If-Modified-Since", after}, proceed},
		{"if-match miss beats inm", []string{"If-Match", `"x"`, "If-None-Match", etag}, failed},
		{"if-range etag", []string{"Range", "bytes=0-1", "If-Range", etag}, proceed},
		{"if-range stale etag", []string{"Range", "bytes=0-1", "If-Range", `"old"`}, ignoreRanges},
		{"if-range weak", []string{"Range", "bytes=0-1", "If-Range", `W/"1-2"`}, ignoreRanges},
		{"if-range date", []string{"Range", "bytes=0-1", "If-Range", at}, proceed},
		{"if-range old date", []string{"Range", "bytes=0-1", "If-Range", before}, ignoreRanges},
		{"if-range without range", []string{"If-Range", `"old"`}, proceed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := &http1.Request{Method: []byte("GET")}
			for i := 0; i < len(tt.fields); i += 2 {
				req.Fields = append(req.Fields, http1.Field{Name: []byte(tt.fields[i]), Value: []byte(tt.fields[i+1])})
			}
			if got := evaluate(req, etag, mod); got != tt.want {
				t.Errorf("evaluate = %v, want %v", got, tt.want)
			}
		})
	}
}
