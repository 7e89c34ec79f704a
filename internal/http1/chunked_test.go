package http1

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// next is what follows every encoded body in the tests: a pipelined request
// that the decoder must leave in the bufio.Reader.
const next = "GET /next HTTP/1.1\r\n"

type chunkedCase struct {
	name string
	enc  string // encoded body; next is appended unless the case is truncated
	want string // decoded body, when err is ""
	err  string // "": io.EOF at the end; "400", "431"; "unexpected EOF"
	cut  bool   // truncated: enc is all the connection sends
}

var chunkedCases = []chunkedCase{
	{name: "empty body", enc: "0\r\n\r\n", want: ""},
	{name: "one chunk", enc: "5\r\nhello\r\n0\r\n\r\n", want: "hello"},
	{name: "several chunks", enc: "5\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\n\r\n", want: "hello world"},
	{name: "bare LF", enc: "5\nhello\n0\n\n", want: "hello"},
	{name: "hex sizes", enc: "a\r\n0123456789\r\nA\r\n0123456789\r\n0\r\n\r\n", want: "01234567890123456789"},
	{name: "leading zeros", enc: "0005\r\nhello\r\n000\r\n\r\n", want: "hello"},
	{name: "sixteen digits", enc: "0000000000000005\r\nhello\r\n0\r\n\r\n", want: "hello"},
	{name: "data with CRLF inside", enc: "4\r\n\r\n\r\n\r\n0\r\n\r\n", want: "\r\n\r\n"},
	{name: "extension name", enc: "5;a\r\nhello\r\n0;b\r\n\r\n", want: "hello"},
	{name: "extension token value", enc: "5;a=b;c=d-1\r\nhello\r\n0\r\n\r\n", want: "hello"},
	{name: "extension BWS", enc: "5 ; a = b ;\tc\r\nhello\r\n0\r\n\r\n", want: "hello"},
	{name: "extension quoted", enc: "5;a=\"x y;\\\"z\\\\\"\r\nhello\r\n0\r\n\r\n", want: "hello"},
	{name: "extension quoted then more", enc: "5;a=\"\" ;b\r\nhello\r\n0\r\n\r\n", want: "hello"},
	{name: "extension obs-text quoted", enc: "5;a=\"\xe9\"\r\nhello\r\n0\r\n\r\n", want: "hello"},
	{name: "trailers", enc: "5\r\nhello\r\n0\r\nX-Sum: abc\r\nX-Empty:\r\n\r\n", want: "hello"},
	{name: "trailers bare LF", enc: "5\r\nhello\r\n0\nX-Sum: abc\n\n", want: "hello"},
	{name: "long extension within limit", enc: "1;" + strings.Repeat("e", maxChunkLine-2) + "\r\nx\r\n0\r\n\r\n", want: "x"},

	{name: "empty size", enc: "\r\nhello\r\n0\r\n\r\n", err: "400"},
	{name: "non-hex size", enc: "g\r\n", err: "400"},
	{name: "0x prefix", enc: "0x5\r\nhello\r\n0\r\n\r\n", err: "400"},
	{name: "negative size", enc: "-5\r\nhello\r\n0\r\n\r\n", err: "400"},
	{name: "seventeen digits", enc: "00000000000000005\r\nhello\r\n0\r\n\r\n", err: "400"},
	{name: "size overflow", enc: "8000000000000000\r\n", err: "400"},
	{name: "size max int64 then EOF", enc: "7fffffffffffffff\r\nabc", err: "unexpected EOF", cut: true},
	{name: "trailing space after size", enc: "5 \r\nhello\r\n0\r\n\r\n", err: "400"},
	{name: "leading space", enc: " 5\r\nhello\r\n0\r\n\r\n", err: "400"},
	{name: "semicolon without name", enc: "5;\r\nhello\r\n0\r\n\r\n", err: "400"},
	{name: "equals without name", enc: "5;=b\r\nhello\r\n0\r\n\r\n", err: "400"},
	{name: "equals without value", enc: "5;a=\r\nhello\r\n0\r\n\r\n", err: "400"},
	{name: "name then space then CR", enc: "5;a \r\nhello\r\n0\r\n\r\n", err: "400"},
	{name: "two values", enc: "5;a=b c\r\nhello\r\n0\r\n\r\n", err: "400"},
	{name: "separator in name", enc: "5;a(b\r\nhello\r\n0\r\n\r\n", err: "400"},
	{name: "unterminated quote", enc: "5;a=\"b\r\nhello\r\n0\r\n\r\n", err: "400"},
	{name: "CTL in quoted", enc: "5;a=\"\x01\"\r\nhello\r\n0\r\n\r\n", err: "400"},
	{name: "chunk line too long", enc: "1;" + strings.Repeat("e", maxChunkLine) + "\r\nx\r\n0\r\n\r\n", err: "400"},
	{name: "bare CR in chunk line", enc: "5\rhello\r\n0\r\n\r\n", err: "400"},
	{name: "data too long", enc: "5\r\nhello!\r\n0\r\n\r\n", err: "400"},
	{name: "bare CR after data", enc: "5\r\nhello\rX\n0\r\n\r\n", err: "400"},
	{name: "trailer obs-fold", enc: "0\r\nX: a\r\n b\r\n\r\n", err: "400"},
	{name: "trailer space before colon", enc: "0\r\nX : a\r\n\r\n", err: "400"},
	{name: "trailer without colon", enc: "0\r\nX\r\n\r\n", err: "400"},
	{name: "trailer empty name", enc: "0\r\n: a\r\n\r\n", err: "400"},
	{name: "trailer NUL in value", enc: "0\r\nX: a\x00\r\n\r\n", err: "400"},
	{name: "trailer bare CR", enc: "0\r\nX: a\rb\r\n\r\n", err: "400"},
	{name: "final bare CR", enc: "0\r\n\rX", err: "400"},
	{name: "trailers too large", enc: "0\r\n" + strings.Repeat("X: "+strings.Repeat("v", 95)+"\r\n", 400) + "\r\n", err: "431"},

	{name: "EOF in size", enc: "5", err: "unexpected EOF", cut: true},
	{name: "EOF in extension", enc: "5;a=\"", err: "unexpected EOF", cut: true},
	{name: "EOF in data", enc: "5\r\nhel", err: "unexpected EOF", cut: true},
	{name: "EOF after data", enc: "5\r\nhello", err: "unexpected EOF", cut: true},
	{name: "EOF after last chunk", enc: "5\r\nhello\r\n0\r\n", err: "unexpected EOF", cut: true},
	{name: "EOF in trailer", enc: "0\r\nX: a", err: "unexpected EOF", cut: true},
	{name: "EOF before final LF", enc: "0\r\n\r", err: "unexpected EOF", cut: true},
	{name: "EOF at start", enc: "", err: "unexpected EOF", cut: true},
}

// decode reads everything from a ChunkedReader over r with reads of size
// step and returns the data, the final error in the cases' notation, and
// what remained unread in the bufio.Reader and r.
func decode(r io.Reader, bufSize, step int) (data, errs, rest string) {
	br := bufio.NewReaderSize(r, bufSize)
	var c ChunkedReader
	c.Reset(br)
	var out bytes.Buffer
	p := make([]byte, step)
	var err error
	for i := 0; ; i++ {
		var n int
		n, err = c.Read(p)
		out.Write(p[:n])
		if err != nil || i > 1<<20 {
			break
		}
	}
	var se *StatusError
	switch {
	case err == io.EOF:
	case errors.As(err, &se):
		errs = fmt.Sprint(se.Status)
	case err == io.ErrUnexpectedEOF:
		errs = "unexpected EOF"
	default:
		errs = err.Error()
	}
	left, _ := io.ReadAll(br)
	return out.String(), errs, string(left)
}

func TestChunkedReader(t *testing.T) {
	for _, c := range chunkedCases {
		t.Run(c.name, func(t *testing.T) {
			in := c.enc
			if !c.cut {
				in += next
			}
			for _, mode := range []struct {
				name            string
				oneByte         bool
				bufSize, stride int
			}{
				{"whole", false, 4096, 512},
				{"one byte reads, small buffer", true, 16, 3},
			} {
				var r io.Reader = strings.NewReader(in)
				if mode.oneByte {
					r = iotest.OneByteReader(r)
				}
				data, errs, rest := decode(r, mode.bufSize, mode.stride)
				if errs != c.err {
					t.Fatalf("%s: got error %q, want %q", mode.name, errs, c.err)
				}
				if c.err == "" {
					if data != c.want {
						t.Errorf("%s: got data %q, want %q", mode.name, data, c.want)
					}
					if rest != next {
						t.Errorf("%s: got rest %q, want %q", mode.name, rest, next)
					}
				}
			}
		})
	}
}

var errTimeout = errors.New("i/o timeout")

// flakyReader returns errTimeout once, after the first n bytes.
type flakyReader struct {
	r      io.Reader
	n      int
	failed bool
}

func (f *flakyReader) Read(p []byte) (int, error) {
	if !f.failed && f.n == 0 {
		f.failed = true
		return 0, errTimeout
	}
	if !f.failed && len(p) > f.n {
		p = p[:f.n]
	}
	n, err := f.r.Read(p)
	f.n -= n
	return n, err
}

// TestChunkedReadErrorPassedThrough checks that a read error (a timeout)
// comes back unchanged wherever it happens, and that decoding resumes
// correctly if the caller reads again.
func TestChunkedReadErrorPassedThrough(t *testing.T) {
	enc := "5;a=\"q\"\r\nhello\r\n3\r\nabc\r\n0\r\nX: y\r\n\r\n"
	for at := 0; at < len(enc); at++ {
		t.Run(fmt.Sprint(at), func(t *testing.T) {
			br := bufio.NewReaderSize(&flakyReader{r: strings.NewReader(enc + next), n: at}, 16)
			var c ChunkedReader
			c.Reset(br)
			var out bytes.Buffer
			p := make([]byte, 4)
			sawTimeout := false
			for {
				n, err := c.Read(p)
				out.Write(p[:n])
				if err == errTimeout {
					sawTimeout = true
					continue
				}
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("got error %v, want errTimeout or io.EOF", err)
				}
			}
			if !sawTimeout {
				t.Errorf("got no errTimeout, want one")
			}
			if out.String() != "helloabc" {
				t.Errorf("got %q, want %q", out.String(), "helloabc")
			}
			if rest, _ := io.ReadAll(br); string(rest) != next {
				t.Errorf("got rest %q, want %q", rest, next)
			}
		})
	}
}

func TestChunkedProtocolErrorSticky(t *testing.T) {
	var c ChunkedReader
	c.Reset(bufio.NewReader(strings.NewReader("zz\r\n")))
	_, err1 := c.Read(make([]byte, 8))
	_, err2 := c.Read(make([]byte, 8))
	var se *StatusError
	if !errors.As(err1, &se) || err2 != err1 {
		t.Fatalf("got %v then %v, want the same 400 twice", err1, err2)
	}
}

func chunkedBody(size, chunk int) []byte {
	var b bytes.Buffer
	data := bytes.Repeat([]byte("x"), chunk)
	for size > 0 {
		n := min(size, chunk)
		fmt.Fprintf(&b, "%x\r\n", n)
		b.Write(data[:n])
		b.WriteString("\r\n")
		size -= n
	}
	b.WriteString("0\r\n\r\n")
	return b.Bytes()
}

func TestChunkedAllocs(t *testing.T) {
	enc := append(chunkedBody(64<<10, 1000), next...)
	src := bytes.NewReader(enc)
	br := bufio.NewReader(src)
	var c ChunkedReader
	p := make([]byte, 4096)
	if a := testing.AllocsPerRun(50, func() {
		src.Reset(enc)
		br.Reset(src)
		c.Reset(br)
		for {
			_, err := c.Read(p)
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
		}
	}); a != 0 {
		t.Errorf("got %v allocs, want 0", a)
	}
}

func BenchmarkChunked(b *testing.B) {
	const size = 64 << 10
	enc := chunkedBody(size, 4000)
	src := bytes.NewReader(enc)
	br := bufio.NewReaderSize(src, 32<<10)
	var c ChunkedReader
	p := make([]byte, 32<<10)
	b.ReportAllocs()
	b.SetBytes(size)
	for b.Loop() {
		src.Reset(enc)
		br.Reset(src)
		c.Reset(br)
		for {
			_, err := c.Read(p)
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}

func FuzzChunked(f *testing.F) {
	for _, c := range chunkedCases {
		f.Add([]byte(c.enc))
	}
	f.Add(chunkedBody(100, 7))
	f.Fuzz(func(t *testing.T, enc []byte) {
		const sentinel = "\x00NEXT"
		in := string(enc) + sentinel
		data, errs, rest := decode(strings.NewReader(in), 4096, 64)
		// One byte at a time through the smallest buffer decodes the same.
		data2, errs2, rest2 := decode(iotest.OneByteReader(strings.NewReader(in)), 16, 5)
		if errs2 != errs || (errs == "" && (data2 != data || rest2 != rest)) {
			t.Fatalf("one byte reads: got %q %q %q, want %q %q %q", data2, errs2, rest2, data, errs, rest)
		}
		if errs != "" {
			return
		}
		// Never past the body: what was consumed is exactly a complete
		// chunked body. Alone it decodes to the same data, and without its
		// last byte it is incomplete.
		if !strings.HasSuffix(rest, sentinel) {
			t.Fatalf("got rest %q, want it to end in the sentinel", rest)
		}
		body := in[:len(in)-len(rest)]
		d, e, r := decode(strings.NewReader(body), 4096, 64)
		if e != "" || d != data || r != "" {
			t.Fatalf("consumed body alone: got %q %q %q, want %q", d, e, r, data)
		}
		if _, e, _ := decode(strings.NewReader(body[:len(body)-1]), 4096, 64); e != "unexpected EOF" {
			t.Fatalf("consumed body minus one byte: got error %q, want unexpected EOF", e)
		}
	})
}
