package http1

import "testing"

// validFieldValue tests eight bytes at a time: every byte value, at every
// position of a word and of the tail, must be judged as fieldVChar does.
func TestValidFieldValue(t *testing.T) {
	t.Parallel()
	for n := range 20 {
		for i := range n {
			for c := range 256 {
				v := make([]byte, n)
				for j := range v {
					v[j] = 'a'
				}
				v[i] = byte(c)
				if got, want := validFieldValue(v), fieldVChar[c]; got != want {
					t.Fatalf("%q: got %v, want %v", v, got, want)
				}
				// A control byte after an allowed one in the same word.
				if c < 0x20 && i+1 < n {
					v[i], v[i+1] = '\t', byte(c)
					if got, want := validFieldValue(v), c == '\t'; got != want {
						t.Fatalf("%q: got %v, want %v", v, got, want)
					}
				}
			}
		}
	}
}
