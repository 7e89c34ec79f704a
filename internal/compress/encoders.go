package compress

import (
	"io"
	"sync"
	"sync/atomic"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"webserv/internal/config"
)

// An encoder compresses one response body at a time; Reset points it at
// the next one. Encoders are expensive to build (a zstd encoder holds its
// window and tables, a brotli writer its hasher) and cheap to reset, so
// they are pooled: in steady state a compressed response allocates
// nothing for its encoder (encoders_test.go).
type encoder interface {
	io.Writer
	Flush() error // emit what was written so far, decodable (CGI output that pauses)
	Close() error // end the stream
	Reset(w io.Writer)
}

const (
	// brotliLevel: andybalholm/brotli compresses text at tens of MB/s up
	// to level 5 and orders of magnitude slower above (level 11 runs at
	// 0.2 MB/s: issue 19), which on-the-fly compression cannot afford;
	// level 4 keeps the ratio of gzip -6 at a fraction of its CPU.
	brotliLevel = 4
	// brotliWindow (log2 of the window): the library's default of 22 (4
	// MiB) makes an encoder grow to 29 MiB over an 8 MiB response, held
	// for as long as its client reads slowly; 18 (256 KiB) caps it near
	// 6.4 MiB whatever the size (20: 11 MiB), and the ratio of pages up to
	// 256 KiB is unchanged (issue 19 review). RFC 7932 §9.1 lets an
	// encoder pick any window from 10 to 24.
	brotliWindow = 18
	// maxBrotli bounds the brotli encodings in progress at once: each
	// holds up to ~6.4 MiB until its response ends, and a slow client
	// keeps it that long, so the bound is one of memory (32 × 6.4 MiB ≈
	// 200 MiB at worst), not of CPU. A response past it gets the request's
	// next-best coding (zstd or gzip, a few hundred KiB each) instead.
	maxBrotli = 32
	// zstdWindow bounds a zstd encoder's window, hence the memory each
	// pooled encoder holds and every decoder must: 1 MiB covers the
	// responses worth compressing whole (RFC 8878 §3.1.1.1.2) and is far
	// under the 8 MiB browsers accept.
	zstdWindow = 1 << 20
)

var (
	gzipPools [10]sync.Pool // by level, 1 to 9
	zstdPool  sync.Pool
	brPool    sync.Pool

	brotliLive atomic.Int32 // brotli encodings in progress (maxBrotli)
)

// reserveBrotli takes one of the maxBrotli slots for a brotli encoding,
// if one is free; releaseBrotli gives it back.
func reserveBrotli() bool {
	if brotliLive.Add(1) <= maxBrotli {
		return true
	}
	brotliLive.Add(-1)
	return false
}

func releaseBrotli() { brotliLive.Add(-1) }

// getEncoder returns an encoder for coding c (gzip at level), writing to w.
func getEncoder(c config.Codings, level int, w io.Writer) encoder {
	var e encoder
	switch c {
	case config.Zstd:
		if v, ok := zstdPool.Get().(*zstd.Encoder); ok {
			e = v
		} else {
			// The options are valid constants: NewWriter cannot fail.
			v, _ := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest),
				zstd.WithEncoderConcurrency(1), zstd.WithWindowSize(zstdWindow), zstd.WithLowerEncoderMem(true))
			e = v
		}
	case config.Br:
		if v, ok := brPool.Get().(*brotli.Writer); ok {
			e = v
		} else {
			e = brotli.NewWriterOptions(nil, brotli.WriterOptions{Quality: brotliLevel, LGWin: brotliWindow})
		}
	default:
		level = min(max(level, 1), 9)
		if v, ok := gzipPools[level].Get().(*gzip.Writer); ok {
			e = v
		} else {
			v, _ := gzip.NewWriterLevel(nil, level) // level is in range
			e = v
		}
	}
	e.Reset(w)
	return e
}

// putEncoder returns e, got for coding c at level, to its pool. It is
// reset to write nowhere first, so that the pool does not keep the
// response writer it wrote to alive.
func putEncoder(c config.Codings, level int, e encoder) {
	e.Reset(io.Discard)
	switch c {
	case config.Zstd:
		zstdPool.Put(e)
	case config.Br:
		brPool.Put(e)
	default:
		gzipPools[min(max(level, 1), 9)].Put(e)
	}
}
