package config

// HasSuffixFold reports whether s ends in suffix under ASCII case folding,
// without converting either, so a file path in a []byte costs nothing.
// CGI extensions compare this way: on a case-insensitive file system
// "a.PHP" is a.php, and nginx's `location ~* \.php$` runs it.
func HasSuffixFold[T ~string | ~[]byte](s T, suffix string) bool {
	if len(s) < len(suffix) {
		return false
	}
	tail := s[len(s)-len(suffix):]
	for i := 0; i < len(suffix); i++ {
		if lower(tail[i]) != lower(suffix[i]) {
			return false
		}
	}
	return true
}

// HasAnySuffixFold reports whether s ends in one of suffixes (HasSuffixFold).
func HasAnySuffixFold[T ~string | ~[]byte](s T, suffixes []string) bool {
	for _, x := range suffixes {
		if x != "" && HasSuffixFold(s, x) {
			return true
		}
	}
	return false
}

// TrimCodedSuffixFold returns s without a final ".gz", ".br" or ".zst"
// (HasSuffixFold), and whether it had one. A script's precompressed copy
// (x.php.gz, left beside it by `gzip -k` or a build step) is its source
// too: SPEC §5's rule that a script is never sent applies to the name
// without the suffix.
func TrimCodedSuffixFold[T ~string | ~[]byte](s T) (T, bool) {
	for _, ext := range [...]string{".gz", ".br", ".zst"} {
		if len(s) > len(ext) && HasSuffixFold(s, ext) {
			return s[:len(s)-len(ext)], true
		}
	}
	return s, false
}

// RunsFold reports whether s ends in one of l's `cgi` extensions
// (HasSuffixFold); l may be nil.
func RunsFold[T ~string | ~[]byte](l *Location, s T) bool {
	if l == nil {
		return false
	}
	for i := range l.CGI {
		if ext := l.CGI[i].Ext; ext != "" && HasSuffixFold(s, ext) {
			return true
		}
	}
	return false
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
