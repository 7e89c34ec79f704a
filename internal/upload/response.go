package upload

import (
	"encoding/json"
	"html"
	"strconv"
	"strings"

	"webserv/internal/http1"
	"webserv/internal/response"
)

// writeSummary answers status with a body listing files: JSON when the
// request's Accept prefers application/json over text/html, else HTML.
func writeSummary(w response.Writer, req *http1.Request, status int, files []stored) {
	var body []byte
	if prefersJSON(string(req.Get("Accept"))) {
		body, _ = json.Marshal(struct {
			Files []stored `json:"files"`
		}{files})
		body = append(body, '\n')
		w.Header().Set("Content-Type", "application/json")
	} else {
		body = summaryHTML(status, files)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
	}
	w.SetContentLength(int64(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

func summaryHTML(status int, files []stored) []byte {
	var b strings.Builder
	title := strconv.Itoa(status) + " " + http1.StatusText(status)
	b.WriteString("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>" + title +
		"</title></head><body><h1>" + http1.StatusText(status) + "</h1>\n<ul>\n")
	for _, f := range files {
		b.WriteString(`<li><a href="` + html.EscapeString(f.URL) + `">` + html.EscapeString(f.Name) +
			"</a> (" + strconv.FormatInt(f.Size, 10) + " bytes)</li>\n")
	}
	b.WriteString("</ul></body></html>\n")
	return []byte(b.String())
}

// prefersJSON reports whether the Accept field value (RFC 9110 §12.5.1)
// gives application/json a higher weight than text/html. Each type's
// weight is the q of the most specific range that matches it ("type/sub"
// over "type/*" over "*/*"); a tie, or no Accept, means HTML.
func prefersJSON(accept string) bool {
	if accept == "" {
		return false
	}
	return weight(accept, "application", "json") > weight(accept, "text", "html")
}

// weight returns the q value (0..1000) accept assigns to type/sub.
func weight(accept, typ, sub string) int {
	best, spec := 0, -1
	for _, r := range strings.Split(accept, ",") {
		mt, params, _ := strings.Cut(r, ";")
		t, s, ok := strings.Cut(strings.TrimSpace(mt), "/")
		if !ok {
			continue
		}
		var sp int
		switch {
		case strings.EqualFold(t, typ) && strings.EqualFold(s, sub):
			sp = 2
		case strings.EqualFold(t, typ) && s == "*":
			sp = 1
		case t == "*" && s == "*":
			sp = 0
		default:
			continue
		}
		if sp > spec {
			best, spec = qvalue(params), sp
		}
	}
	return best
}

// qvalue parses the "q=" parameter among params (RFC 9110 §12.4.2) into
// thousandths; absent or malformed means 1.
func qvalue(params string) int {
	for _, p := range strings.Split(params, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
		if !ok || !strings.EqualFold(strings.TrimSpace(k), "q") {
			continue
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || f < 0 || f > 1 {
			return 1000
		}
		return int(f*1000 + 0.5)
	}
	return 1000
}
