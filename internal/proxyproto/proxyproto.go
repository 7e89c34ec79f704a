package proxyproto

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"syscall"
)

// ErrIncomplete is returned by Parse when b holds a valid beginning of a
// header but not all of it.
var ErrIncomplete = errors.New("proxyproto: incomplete header")

// ErrInvalid is wrapped by every error about a malformed header; the
// connection it came on must be closed (spec §2).
var ErrInvalid = errors.New("proxyproto: invalid header")

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
}

const (
	// MaxV1 is the longest v1 header, CRLF included (spec §2.1: "a
	// receiver ... can safely read 107 bytes").
	MaxV1 = 107
	// MaxV2 bounds a v2 header (16 fixed bytes plus the announced
	// length). The format allows 64 KiB of TLVs; balancers send a few
	// hundred bytes at most (addresses plus ALPN, authority, SSL TLVs), and
	// a tighter bound keeps what a connection may make the server buffer
	// small.
	MaxV2 = 16 + 4096
)

// v1Prefix starts a version 1 header (spec §2.1).
var v1Prefix = []byte("PROXY ")

// v2Sig is the 12-byte signature of a version 2 header (spec §2.2).
var v2Sig = []byte("\r\n\r\n\x00\r\nQUIT\n")

// Header is a parsed PROXY header.
type Header struct {
	Version int // 1 or 2
	// Local is set when the header carries no client address: the v2
	// LOCAL command (the balancer's own health checks), v1 UNKNOWN, or a
	// v2 family without IP addresses (UNSPEC, UNIX). The connection's own
	// endpoints stand (spec §2.1 and §2.2 ask receivers to accept these
	// and use the real addresses).
	Local bool
	// Source is the original client, Destination the address it
	// connected to on the balancer; zero when Local.
	Source      netip.AddrPort
	Destination netip.AddrPort
}

// Parse parses the header at the start of b and returns it with its
// length. It returns ErrIncomplete while b is a valid prefix of a header
// that needs more bytes, and an error wrapping ErrInvalid as soon as b
// cannot be the start of a valid header.
func Parse(b []byte) (Header, int, error) {
	if len(b) == 0 {
		return Header{}, 0, ErrIncomplete
	}
	switch b[0] {
	case 'P':
		return parseV1(b)
	case '\r':
		return parseV2(b)
	}
	return Header{}, 0, invalid("no PROXY signature")
}

// parseV1 parses the text form (spec §2.1):
//
//	"PROXY" SP ( "TCP4" | "TCP6" ) SP src SP dst SP sport SP dport CRLF
//	"PROXY" SP "UNKNOWN" [ anything ] CRLF
func parseV1(b []byte) (Header, int, error) {
	n := min(len(b), len(v1Prefix))
	if !bytes.Equal(b[:n], v1Prefix[:n]) {
		return Header{}, 0, invalid("bad v1 signature")
	}
	end := bytes.IndexByte(b[:min(len(b), MaxV1)], '\n')
	if end < 0 {
		// Reject bytes that can never be part of a v1 line at once,
		// rather than after 107 bytes.
		for _, c := range b[:min(len(b), MaxV1)] {
			if (c < ' ' || c > '~') && c != '\r' {
				return Header{}, 0, invalid("v1 header has a control byte")
			}
		}
		if len(b) >= MaxV1 {
			return Header{}, 0, invalid("v1 header longer than %d bytes", MaxV1)
		}
		return Header{}, 0, ErrIncomplete
	}
	if end < len(v1Prefix)+1 || b[end-1] != '\r' {
		return Header{}, 0, invalid("v1 header does not end in CRLF")
	}
	line := b[len(v1Prefix) : end-1]
	for _, c := range line {
		if c < ' ' || c > '~' {
			return Header{}, 0, invalid("v1 header has a control byte")
		}
	}
	proto, rest, _ := bytes.Cut(line, []byte(" "))
	h := Header{Version: 1}
	switch string(proto) {
	case "UNKNOWN":
		// "the receiver must ignore anything presented before the CRLF"
		h.Local = true
		return h, end + 1, nil
	case "TCP4", "TCP6":
	default:
		return Header{}, 0, invalid("v1 protocol %q", proto)
	}
	var f [4][]byte
	for i := range f {
		var ok bool
		f[i], rest, ok = bytes.Cut(rest, []byte(" "))
		if ok != (i < 3) || len(f[i]) == 0 {
			return Header{}, 0, invalid("v1 header needs exactly four fields after the protocol")
		}
	}
	v6 := string(proto) == "TCP6"
	src, err := v1Addr(f[0], v6)
	if err != nil {
		return Header{}, 0, err
	}
	dst, err := v1Addr(f[1], v6)
	if err != nil {
		return Header{}, 0, err
	}
	sport, err := v1Port(f[2])
	if err != nil {
		return Header{}, 0, err
	}
	dport, err := v1Port(f[3])
	if err != nil {
		return Header{}, 0, err
	}
	h.Source = netip.AddrPortFrom(src, sport)
	h.Destination = netip.AddrPortFrom(dst, dport)
	return h, end + 1, nil
}

func v1Addr(b []byte, v6 bool) (netip.Addr, error) {
	a, err := netip.ParseAddr(string(b))
	if err != nil || a.Zone() != "" || a.Is4() == v6 {
		return netip.Addr{}, invalid("v1 address %q", b)
	}
	return a, nil
}

// v1Port parses a port: decimal 0-65535, no sign, no leading zeros.
func v1Port(b []byte) (uint16, error) {
	if len(b) == 0 || len(b) > 5 || (b[0] == '0' && len(b) > 1) {
		return 0, invalid("v1 port %q", b)
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, invalid("v1 port %q", b)
		}
		n = n*10 + int(c-'0')
	}
	if n > 65535 {
		return 0, invalid("v1 port %q", b)
	}
	return uint16(n), nil
}

// v2 families (spec §2.2, the 14th byte): address family in the high
// nibble, transport in the low one.
const (
	famUnspec     = 0x00
	famTCP4       = 0x11
	famTCP6       = 0x21
	famUnixStream = 0x31
)

// parseV2 parses the binary form (spec §2.2): the signature, version and
// command, family, a big-endian length, the address block, then TLVs.
func parseV2(b []byte) (Header, int, error) {
	n := min(len(b), len(v2Sig))
	if !bytes.Equal(b[:n], v2Sig[:n]) {
		return Header{}, 0, invalid("bad v2 signature")
	}
	if len(b) < 13 {
		return Header{}, 0, ErrIncomplete
	}
	if b[12]>>4 != 2 {
		return Header{}, 0, invalid("v2 version %d", b[12]>>4)
	}
	cmd := b[12] & 0x0f
	if cmd > 1 {
		return Header{}, 0, invalid("v2 command %d", cmd)
	}
	if len(b) < 16 {
		return Header{}, 0, ErrIncomplete
	}
	fam := b[13]
	size := 16 + int(binary.BigEndian.Uint16(b[14:16]))
	if size > MaxV2 {
		return Header{}, 0, invalid("v2 header of %d bytes is longer than %d", size, MaxV2)
	}
	if len(b) < size {
		return Header{}, 0, ErrIncomplete
	}
	body := b[16:size]
	h := Header{Version: 2}
	if cmd == 0 {
		// LOCAL: "the receiver must accept this connection as valid and
		// must use the real connection endpoints and discard the protocol
		// block including the family".
		h.Local = true
		return h, size, nil
	}
	var alen int
	switch fam {
	case famTCP4:
		alen = 12
	case famTCP6:
		alen = 36
	case famUnspec, famUnixStream:
		// No IP address to take: the real endpoints stand. The block is
		// skipped unparsed (spec: UNSPEC "the receiver should ignore"
		// the address information).
		h.Local = true
		return h, size, nil
	default:
		return Header{}, 0, invalid("v2 family 0x%02x is not a stream family", fam)
	}
	if len(body) < alen {
		return Header{}, 0, invalid("v2 address block of %d bytes, want %d", len(body), alen)
	}
	ip := alen/2 - 2 // 4 or 16
	src, _ := netip.AddrFromSlice(body[:ip])
	dst, _ := netip.AddrFromSlice(body[ip : 2*ip])
	sport := binary.BigEndian.Uint16(body[2*ip:])
	dport := binary.BigEndian.Uint16(body[2*ip+2:])
	h.Source = netip.AddrPortFrom(src, sport)
	h.Destination = netip.AddrPortFrom(dst, dport)
	// TLVs (spec §2.2.7): type, 16-bit length, value; they must tile the
	// rest of the header exactly. Their content is not used.
	for tlv := body[alen:]; len(tlv) > 0; {
		if len(tlv) < 3 {
			return Header{}, 0, invalid("v2 truncated TLV")
		}
		l := 3 + int(binary.BigEndian.Uint16(tlv[1:3]))
		if l > len(tlv) {
			return Header{}, 0, invalid("v2 TLV longer than the header")
		}
		tlv = tlv[l:]
	}
	return h, size, nil
}

// Read reads one header from r and nothing after it: the bytes that follow
// (the client's request, or a TLS handshake) stay unread. r's read
// deadline, if any, bounds the wait.
//
// A v2 header announces its length, so it is read exactly. A v1 line is
// found by peeking at the socket (MSG_PEEK) when r is a socket, then
// reading exactly through the LF; other readers are read a byte at a time.
func Read(r io.Reader) (Header, error) {
	// 15 bytes are always part of the header: the shortest v1 header,
	// "PROXY UNKNOWN\r\n", has 15 bytes, and a v2 header at least 16.
	var buf [MaxV1]byte
	if _, err := io.ReadFull(r, buf[:15]); err != nil {
		return Header{}, err
	}
	if buf[0] == '\r' {
		if _, _, err := Parse(buf[:15]); err != ErrIncomplete {
			return Header{}, err
		}
		if _, err := io.ReadFull(r, buf[15:16]); err != nil {
			return Header{}, err
		}
		size := 16 + int(binary.BigEndian.Uint16(buf[14:16]))
		if size > MaxV2 {
			_, _, err := Parse(buf[:16])
			return Header{}, err
		}
		b := make([]byte, size)
		copy(b, buf[:16])
		if _, err := io.ReadFull(r, b[16:]); err != nil {
			return Header{}, err
		}
		h, _, err := Parse(b)
		return h, err
	}
	var rc syscall.RawConn
	if sc, ok := r.(syscall.Conn); ok {
		rc, _ = sc.SyscallConn()
	}
	n := 15
	for buf[n-1] != '\n' {
		if _, _, err := Parse(buf[:n]); err != ErrIncomplete {
			if err == nil {
				err = invalid("v1 header")
			}
			return Header{}, err
		}
		want := 1
		if rc != nil {
			k, err := peek(rc, buf[n:])
			if err != nil {
				return Header{}, err
			}
			want = k
			if i := bytes.IndexByte(buf[n:n+k], '\n'); i >= 0 {
				want = i + 1
			}
		}
		if _, err := io.ReadFull(r, buf[n:n+want]); err != nil {
			return Header{}, err
		}
		n += want
	}
	h, _, err := Parse(buf[:n])
	return h, err
}

// peek reads what the socket holds into p without consuming it, waiting
// (within the read deadline) until something arrives.
func peek(rc syscall.RawConn, p []byte) (int, error) {
	var n int
	var serr error
	err := rc.Read(func(fd uintptr) bool {
		n, _, serr = syscall.Recvfrom(int(fd), p, syscall.MSG_PEEK)
		return serr != syscall.EAGAIN && serr != syscall.EINTR
	})
	if err != nil {
		return 0, err
	}
	if serr != nil {
		return 0, serr
	}
	if n <= 0 {
		return 0, io.ErrUnexpectedEOF
	}
	return n, nil
}

// AppendV1 appends h in the v1 text form (a balancer's side, for tests and
// tools).
func (h Header) AppendV1(b []byte) []byte {
	if h.Local || !h.Source.IsValid() {
		return append(b, "PROXY UNKNOWN\r\n"...)
	}
	proto := "TCP4"
	if h.Source.Addr().Is6() {
		proto = "TCP6"
	}
	return fmt.Appendf(b, "PROXY %s %s %s %d %d\r\n", proto, h.Source.Addr(), h.Destination.Addr(), h.Source.Port(), h.Destination.Port())
}

// AppendV2 appends h in the v2 binary form, with the PROXY command (LOCAL
// when h.Local).
func (h Header) AppendV2(b []byte) []byte {
	b = append(b, v2Sig...)
	if h.Local || !h.Source.IsValid() {
		return append(b, 0x20, famUnspec, 0, 0)
	}
	src, dst := h.Source.Addr().AsSlice(), h.Destination.Addr().AsSlice()
	fam := byte(famTCP4)
	if len(src) == 16 {
		fam = famTCP6
	}
	b = append(b, 0x21, fam)
	b = binary.BigEndian.AppendUint16(b, uint16(2*len(src)+4))
	b = append(b, src...)
	b = append(b, dst...)
	b = binary.BigEndian.AppendUint16(b, h.Source.Port())
	return binary.BigEndian.AppendUint16(b, h.Destination.Port())
}
