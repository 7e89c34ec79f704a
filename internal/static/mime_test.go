package static

import "testing"

func TestContentTypeTable(t *testing.T) {
	table := map[string]string{".html": "text/html", ".js": "application/javascript"}
	for _, tt := range []struct {
		name  string
		table map[string]string
		want  string
	}{
		{"a.html", nil, "text/html; charset=utf-8"},
		{"a.HTML", nil, "text/html; charset=utf-8"},
		{"a.html", table, "text/html"},
		{"a.Js", table, "application/javascript"},
		{"a.css", table, "def/ault"}, // the table replaces the built-in one
		{"noext", table, "def/ault"},
		{"dir.d/noext", nil, "def/ault"},
	} {
		if got := ContentType(tt.name, tt.table, "def/ault"); got != tt.want {
			t.Errorf("ContentType(%q, %v) = %q, want %q", tt.name, tt.table, got, tt.want)
		}
	}
	// The hot path: a lower-case extension allocates nothing, with either table.
	if n := testing.AllocsPerRun(100, func() {
		ContentType("/srv/www/a.html", table, "x/y")
		ContentType("/srv/www/a.css", nil, "x/y")
	}); n != 0 {
		t.Errorf("ContentType allocates %v times per call pair, want 0", n)
	}
}
