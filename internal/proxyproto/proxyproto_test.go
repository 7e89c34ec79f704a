package proxyproto

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/netip"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

func ap(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

// v2 builds a binary header by hand: ver/cmd byte, family, address block
// and TLV bytes.
func v2(verCmd, fam byte, block ...[]byte) []byte {
	var body []byte
	for _, p := range block {
		body = append(body, p...)
	}
	b := append([]byte{}, v2Sig...)
	b = append(b, verCmd, fam)
	b = binary.BigEndian.AppendUint16(b, uint16(len(body)))
	return append(b, body...)
}

var (
	v4Block = []byte{192, 0, 2, 1, 198, 51, 100, 2, 0x30, 0x39, 0x01, 0xbb} // 192.0.2.1:12345 -> 198.51.100.2:443
	v6Block = append(append(netip.MustParseAddr("2001:db8::1").AsSlice(), netip.MustParseAddr("2001:db8::2").AsSlice()...), 0x30, 0x39, 0x00, 0x50)
)

func TestParse(t *testing.T) {
	tcp4 := Header{Version: 1, Source: ap("192.0.2.1:12345"), Destination: ap("198.51.100.2:443")}
	tcp6 := Header{Version: 1, Source: ap("[2001:db8::1]:12345"), Destination: ap("[2001:db8::2]:80")}
	tests := []struct {
		name string
		in   string
		want Header
		n    int   // header length; 0 with err
		err  error // ErrIncomplete, ErrInvalid or nil
	}{
		{"v1 tcp4", "PROXY TCP4 192.0.2.1 198.51.100.2 12345 443\r\nGET /", tcp4, 45, nil},
		{"v1 tcp6", "PROXY TCP6 2001:db8::1 2001:db8::2 12345 80\r\n", tcp6, 45, nil},
		{"v1 unknown", "PROXY UNKNOWN\r\n", Header{Version: 1, Local: true}, 15, nil},
		{"v1 unknown with junk", "PROXY UNKNOWN ffff::1 ::1 1 2\r\nGET", Header{Version: 1, Local: true}, 31, nil},
		{"v1 port 0 and max", "PROXY TCP4 1.2.3.4 5.6.7.8 0 65535\r\n", Header{Version: 1, Source: ap("1.2.3.4:0"), Destination: ap("5.6.7.8:65535")}, 36, nil},
		{"v1 longest", "PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n",
			Header{Version: 1, Source: ap("[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535"), Destination: ap("[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535")}, 104, nil},

		{"v1 empty", "", Header{}, 0, ErrIncomplete},
		{"v1 prefix", "PROX", Header{}, 0, ErrIncomplete},
		{"v1 no CRLF yet", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2", Header{}, 0, ErrIncomplete},
		{"v1 CR only", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r", Header{}, 0, ErrIncomplete},

		{"http request", "GET / HTTP/1.1\r\n\r\n", Header{}, 0, ErrInvalid},
		{"lowercase", "proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n", Header{}, 0, ErrInvalid},
		{"v1 bare LF", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n", Header{}, 0, ErrInvalid},
		{"v1 too long", "PROXY UNKNOWN " + strings.Repeat("x", 100), Header{}, 0, ErrInvalid},
		{"v1 control byte", "PROXY TCP4 1.2.3.4\x00", Header{}, 0, ErrInvalid},
		{"v1 two spaces", "PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n", Header{}, 0, ErrInvalid},
		{"v1 missing port", "PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n", Header{}, 0, ErrInvalid},
		{"v1 extra field", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n", Header{}, 0, ErrInvalid},
		{"v1 trailing space", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n", Header{}, 0, ErrInvalid},
		{"v1 bad proto", "PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n", Header{}, 0, ErrInvalid},
		{"v1 udp", "PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n", Header{}, 0, ErrInvalid},
		{"v1 family mismatch", "PROXY TCP4 ::1 ::1 1 2\r\n", Header{}, 0, ErrInvalid},
		{"v1 v4 in TCP6", "PROXY TCP6 1.2.3.4 5.6.7.8 1 2\r\n", Header{}, 0, ErrInvalid},
		{"v1 zone", "PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n", Header{}, 0, ErrInvalid},
		{"v1 bad addr", "PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n", Header{}, 0, ErrInvalid},
		{"v1 leading zero addr", "PROXY TCP4 01.2.3.4 5.6.7.8 1 2\r\n", Header{}, 0, ErrInvalid},
		{"v1 port overflow", "PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n", Header{}, 0, ErrInvalid},
		{"v1 port leading zero", "PROXY TCP4 1.2.3.4 5.6.7.8 080 2\r\n", Header{}, 0, ErrInvalid},
		{"v1 port sign", "PROXY TCP4 1.2.3.4 5.6.7.8 +1 2\r\n", Header{}, 0, ErrInvalid},
		{"v1 port hex", "PROXY TCP4 1.2.3.4 5.6.7.8 0x1 2\r\n", Header{}, 0, ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, n, err := Parse([]byte(tt.in))
			if !errors.Is(err, tt.err) || (tt.err == nil && err != nil) {
				t.Fatalf("err: got %v, want %v", err, tt.err)
			}
			if h != tt.want || n != tt.n {
				t.Errorf("got %+v n=%d, want %+v n=%d", h, n, tt.want, tt.n)
			}
		})
	}
}

func TestParseV2(t *testing.T) {
	tlv := []byte{0x01, 0x00, 0x02, 'h', '2', 0x04, 0x00, 0x00} // ALPN "h2", NOOP
	tests := []struct {
		name string
		in   []byte
		want Header
		err  error
	}{
		{"tcp4", v2(0x21, famTCP4, v4Block), Header{Version: 2, Source: ap("192.0.2.1:12345"), Destination: ap("198.51.100.2:443")}, nil},
		{"tcp6", v2(0x21, famTCP6, v6Block), Header{Version: 2, Source: ap("[2001:db8::1]:12345"), Destination: ap("[2001:db8::2]:80")}, nil},
		{"tcp4 with TLVs", v2(0x21, famTCP4, v4Block, tlv), Header{Version: 2, Source: ap("192.0.2.1:12345"), Destination: ap("198.51.100.2:443")}, nil},
		{"local", v2(0x20, famUnspec), Header{Version: 2, Local: true}, nil},
		{"local with tcp4 block", v2(0x20, famTCP4, v4Block), Header{Version: 2, Local: true}, nil},
		{"proxy unspec", v2(0x21, famUnspec), Header{Version: 2, Local: true}, nil},
		{"proxy unix stream", v2(0x21, famUnixStream, make([]byte, 216)), Header{Version: 2, Local: true}, nil},

		{"signature only", v2Sig, Header{}, ErrIncomplete},
		{"15 bytes", v2(0x21, famTCP4, v4Block)[:15], Header{}, ErrIncomplete},
		{"short block", v2(0x21, famTCP4, v4Block)[:20], Header{}, ErrIncomplete},

		{"bad signature", append([]byte("\r\n\r\n\x00\r\nQUIX\n"), 0x21, 0x11, 0, 0), Header{}, ErrInvalid},
		{"version 1 byte", v2(0x11, famTCP4, v4Block), Header{}, ErrInvalid},
		{"version 3", v2(0x31, famTCP4, v4Block), Header{}, ErrInvalid},
		{"command 2", v2(0x22, famTCP4, v4Block), Header{}, ErrInvalid},
		{"udp4", v2(0x21, 0x12, v4Block), Header{}, ErrInvalid},
		{"udp6", v2(0x21, 0x22, v6Block), Header{}, ErrInvalid},
		{"unix dgram", v2(0x21, 0x32, make([]byte, 216)), Header{}, ErrInvalid},
		{"family 0x41", v2(0x21, 0x41, v4Block), Header{}, ErrInvalid},
		{"tcp4 block too short", v2(0x21, famTCP4, v4Block[:11]), Header{}, ErrInvalid},
		{"tcp6 block too short", v2(0x21, famTCP6, v4Block), Header{}, ErrInvalid},
		{"truncated TLV", v2(0x21, famTCP4, v4Block, []byte{1, 0}), Header{}, ErrInvalid},
		{"TLV past end", v2(0x21, famTCP4, v4Block, []byte{1, 0, 5, 'x'}), Header{}, ErrInvalid},
		{"too long", v2(0x21, famTCP4, v4Block, []byte{4, 0x10, 0}, make([]byte, 0x1000)), Header{}, ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, n, err := Parse(tt.in)
			if !errors.Is(err, tt.err) || (tt.err == nil && err != nil) {
				t.Fatalf("err: got %v, want %v", err, tt.err)
			}
			if h != tt.want {
				t.Errorf("got %+v, want %+v", h, tt.want)
			}
			if tt.err == nil && n != len(tt.in) {
				t.Errorf("length: got %d, want %d", n, len(tt.in))
			}
		})
	}
}

func TestAppendRoundTrip(t *testing.T) {
	for _, h := range []Header{
		{Source: ap("192.0.2.1:1"), Destination: ap("192.0.2.2:80")},
		{Source: ap("[2001:db8::1]:65535"), Destination: ap("[::1]:8443")},
		{Local: true},
	} {
		for _, v := range []int{1, 2} {
			var b []byte
			if v == 1 {
				b = h.AppendV1(nil)
			} else {
				b = h.AppendV2(nil)
			}
			got, n, err := Parse(b)
			want := h
			want.Version = v
			if err != nil || n != len(b) || got != want {
				t.Errorf("v%d %q: got %+v n=%d err=%v, want %+v", v, b, got, n, err, want)
			}
		}
	}
}

// Read takes the header and leaves the following bytes unread, whether
// the reader is a socket (peeking) or not (byte reads), and however the
// bytes are split.
func TestRead(t *testing.T) {
	v1 := Header{Source: ap("192.0.2.1:12345"), Destination: ap("198.51.100.2:443")}
	inputs := []struct {
		name string
		hdr  []byte
		want Header
	}{
		{"v1", v1.AppendV1(nil), Header{Version: 1, Source: v1.Source, Destination: v1.Destination}},
		{"v1 unknown", []byte("PROXY UNKNOWN\r\n"), Header{Version: 1, Local: true}},
		{"v2", v1.AppendV2(nil), Header{Version: 2, Source: v1.Source, Destination: v1.Destination}},
		{"v2 local", Header{Local: true}.AppendV2(nil), Header{Version: 2, Local: true}},
	}
	const rest = "GET / HTTP/1.1\r\nHost: x\r\n\r\n"
	for _, in := range inputs {
		t.Run(in.name+"/reader", func(t *testing.T) {
			r := io.MultiReader(bytes.NewReader(in.hdr), strings.NewReader(rest))
			h, err := Read(r)
			if err != nil || h != in.want {
				t.Fatalf("got %+v %v, want %+v", h, err, in.want)
			}
			if tail, _ := io.ReadAll(r); string(tail) != rest {
				t.Errorf("left %q, want %q", tail, rest)
			}
		})
		t.Run(in.name+"/one byte reads", func(t *testing.T) {
			r := iotest.OneByteReader(io.MultiReader(bytes.NewReader(in.hdr), strings.NewReader(rest)))
			h, err := Read(r)
			if err != nil || h != in.want {
				t.Fatalf("got %+v %v, want %+v", h, err, in.want)
			}
		})
		for _, split := range []int{0, 5, 20, len(in.hdr)} {
			t.Run(in.name+"/socket", func(t *testing.T) {
				server, client := tcpPair(t)
				go func() {
					b := append(append([]byte{}, in.hdr...), rest...)
					client.Write(b[:split])
					// Part of what is sent: a pause between two writes, so
					// that the reader is likely to get a partial header
					// first. The test does not depend on it.
					time.Sleep(10 * time.Millisecond)
					client.Write(b[split:])
				}()
				h, err := Read(server)
				if err != nil || h != in.want {
					t.Fatalf("split %d: got %+v %v, want %+v", split, h, err, in.want)
				}
				tail := make([]byte, len(rest))
				if _, err := io.ReadFull(server, tail); err != nil || string(tail) != rest {
					t.Errorf("split %d: left %q %v, want %q", split, tail, err, rest)
				}
			})
		}
	}
}

func TestReadErrors(t *testing.T) {
	t.Run("http request on socket", func(t *testing.T) {
		server, client := tcpPair(t)
		client.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
		if _, err := Read(server); !errors.Is(err, ErrInvalid) {
			t.Errorf("got %v, want ErrInvalid", err)
		}
	})
	t.Run("deadline", func(t *testing.T) {
		server, client := tcpPair(t)
		client.Write([]byte("PROXY TCP4 1.2.3.4 "))
		server.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		_, err := Read(server)
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Errorf("got %v, want a timeout", err)
		}
	})
	t.Run("eof mid header", func(t *testing.T) {
		server, client := tcpPair(t)
		client.Write([]byte("PROXY TCP4 1.2.3.4 5.6.7.8 1 "))
		client.Close()
		if _, err := Read(server); err == nil || errors.Is(err, ErrInvalid) {
			t.Errorf("got %v, want an I/O error", err)
		}
	})
	t.Run("v2 too long", func(t *testing.T) {
		b := v2(0x21, famTCP4, v4Block, make([]byte, MaxV2))
		if _, err := Read(bytes.NewReader(b)); !errors.Is(err, ErrInvalid) {
			t.Errorf("got %v, want ErrInvalid", err)
		}
	})
}

// tcpPair returns the two ends of a loopback TCP connection, with
// deadlines, closed when the test ends.
func tcpPair(t *testing.T) (server, client net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err = net.DialTimeout("tcp", ln.Addr().String(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	server, err = ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []net.Conn{server, client} {
		c.SetDeadline(time.Now().Add(5 * time.Second))
		t.Cleanup(func() { c.Close() })
	}
	return server, client
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("PROXY TCP4 192.0.2.1 198.51.100.2 12345 443\r\nGET"))
	f.Add([]byte("PROXY TCP6 2001:db8::1 2001:db8::2 1 2\r\n"))
	f.Add([]byte("PROXY UNKNOWN\r\n"))
	f.Add(v2(0x21, famTCP4, v4Block))
	f.Add(v2(0x21, famTCP6, v6Block, []byte{1, 0, 2, 'h', '2'}))
	f.Add(v2(0x20, famUnspec))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, n, err := Parse(b)
		if err != nil {
			if err != ErrIncomplete && !errors.Is(err, ErrInvalid) {
				t.Fatalf("unexpected error type: %v", err)
			}
			if err == ErrIncomplete && len(b) >= MaxV2 {
				t.Fatalf("incomplete after %d bytes", len(b))
			}
			return
		}
		if n <= 0 || n > len(b) {
			t.Fatalf("length %d of %d bytes", n, len(b))
		}
		// The header stands alone: what follows does not change it.
		h2, n2, err := Parse(b[:n])
		if err != nil || h2 != h || n2 != n {
			t.Fatalf("reparse of %q: %+v %d %v, want %+v %d", b[:n], h2, n2, err, h, n)
		}
		if h.Local != !h.Source.IsValid() {
			t.Fatalf("Local=%v with source %v", h.Local, h.Source)
		}
		if !h.Local {
			var out []byte
			if h.Version == 1 {
				out = h.AppendV1(nil)
			} else {
				out = h.AppendV2(nil)
			}
			h3, _, err := Parse(out)
			if err != nil || h3 != h {
				t.Fatalf("round trip %+v -> %q -> %+v %v", h, out, h3, err)
			}
		}
	})
}
