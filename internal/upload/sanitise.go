package upload

import (
	"path/filepath"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxName is the longest file name Sanitize returns, in bytes: NAME_MAX on
// Linux and the common limit of every mainstream file system.
const maxName = 255

// maxExt is the longest suffix kept as an "extension" when a name is cut
// to maxName; anything longer is not an extension worth keeping.
const maxExt = 16

// Sanitize turns a client-supplied file name (a multipart filename, a URI
// segment) into one that is safe to create in a single directory:
//
//   - only the last element after any "/" or "\" is kept (browsers have
//     sent "C:\fakepath\x.txt", attackers send "../../etc/passwd");
//   - bytes that are not valid UTF-8 become "_";
//   - control characters (C0, DEL, C1), format characters (bidi overrides
//     such as U+202E that disguise an extension, zero-width characters) and
//     line/paragraph separators are dropped;
//   - leading dots and spaces are stripped (no hidden files, no "." or
//     ".."; ".bashrc" becomes "bashrc"), and so are trailing dots and
//     spaces (Windows clients cannot open such names);
//   - the result is cut to 255 bytes at a UTF-8 boundary, keeping a short
//     extension when there is one.
//
// Unicode letters are kept as they are ("résumé.pdf"). ok is false when
// nothing usable is left ("", "...", "/"), and the caller generates a name.
func Sanitize(name string) (string, bool) {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	var b strings.Builder
	b.Grow(len(name))
	for i := 0; i < len(name); {
		r, size := utf8.DecodeRuneInString(name[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			b.WriteByte('_')
		case unicode.IsControl(r), unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp):
			// dropped
		default:
			b.WriteString(name[i : i+size])
		}
		i += size
	}
	name = trim(b.String())
	if len(name) > maxName {
		name = trim(truncate(name))
	}
	return name, name != ""
}

// trim strips leading and trailing dots and spaces.
func trim(s string) string {
	return strings.TrimRight(strings.TrimLeft(s, ". "), ". ")
}

// truncate cuts s to at most maxName bytes at a rune boundary, keeping the
// extension when it is short and the stem keeps at least one character.
func truncate(s string) string {
	ext := filepath.Ext(s)
	if len(ext) > maxExt || len(ext) == len(s) {
		ext = ""
	}
	stem := cutRunes(s[:len(s)-len(ext)], maxName-len(ext))
	if trim(stem) == "" {
		return cutRunes(s, maxName)
	}
	return stem + ext
}

// cutRunes returns the longest prefix of s that is at most n bytes and
// does not split a UTF-8 sequence.
func cutRunes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
