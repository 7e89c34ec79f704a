package dispatch

import "testing"

// Every status with a reason phrase has its page built once; others are
// rendered when asked for.
func TestBuiltinPage(t *testing.T) {
	for _, status := range []int{404, 500, 599, 600, 1000, 99, -1} {
		if got, want := string(builtinPage(status)), string(renderBuiltinPage(status)); got != want {
			t.Errorf("%d: got %q, want %q", status, got, want)
		}
	}
	if n := testing.AllocsPerRun(10, func() { builtinPage(404) }); n != 0 {
		t.Errorf("got %v allocations for a 404's page, want 0", n)
	}
}

// BenchmarkBuiltinPage is the built-in page's lookup, once per error
// response.
func BenchmarkBuiltinPage(b *testing.B) {
	for b.Loop() {
		if len(builtinPage(404)) == 0 {
			b.Fatal("no page")
		}
	}
}
