package compress

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"webserv/internal/config"
)

// page is 32 KiB of HTML-like text.
var page = []byte(strings.Repeat(`<li class="entry"><a href="/articles/2024/response-compression">Response compression</a> in webserv: gzip, zstd and brotli</li>`+"\n", 300)[:32<<10])

// TestEncoderAllocs: a pooled encoder compresses a body without
// allocating once the pool is warm.
func TestEncoderAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop items at random")
	}
	for _, c := range []config.Codings{config.Gzip, config.Br, config.Zstd} {
		use := func() {
			e := getEncoder(c, 1, io.Discard)
			e.Write(page)
			e.Close()
			putEncoder(c, 1, e)
		}
		for range 3 {
			use()
		}
		if n := testing.AllocsPerRun(50, use); n != 0 {
			t.Errorf("%s: got %v allocations per use, want 0", Name(c), n)
		}
	}
}

func BenchmarkEncoder(b *testing.B) {
	for _, c := range []config.Codings{config.Gzip, config.Br, config.Zstd} {
		b.Run(Name(c), func(b *testing.B) {
			var out bytes.Buffer
			e := getEncoder(c, 1, &out)
			e.Write(page)
			e.Close()
			b.ReportMetric(float64(out.Len()), "bytes")
			putEncoder(c, 1, e)
			b.SetBytes(int64(len(page)))
			b.ReportAllocs()
			for b.Loop() {
				e := getEncoder(c, 1, io.Discard)
				e.Write(page)
				e.Close()
				putEncoder(c, 1, e)
			}
		})
	}
}
