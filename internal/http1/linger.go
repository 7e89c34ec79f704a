package http1

import (
	"net"
	"time"
)

// Lingering close (RFC 9112 §9.6): closing a socket whose receive buffer
// holds unread bytes makes the kernel send a reset, and a reset can
// destroy the response the client has not read yet — a browser uploading
// a file over client_max_body_size would see "connection reset" instead
// of the 413 page. So after such a response the server closes only its
// writing side and reads and discards what the client still sends, for a
// bounded time, before closing (nginx's lingering_close).
const (
	lingerTotal = 5 * time.Second // at most this long in all (nginx lingering_time: 30s)
	lingerGap   = 2 * time.Second // per read (nginx lingering_timeout: 5s)
)

// CloseWrite half-closes nc's writing side, the start of a lingering
// close; it reports false when nc cannot (then just close it).
func CloseWrite(nc net.Conn) bool {
	type closeWriter interface{ CloseWrite() error }
	cw, ok := nc.(closeWriter)
	return ok && cw.CloseWrite() == nil
}

// Linger reads and discards what the client still sends on nc, after
// CloseWrite, until it closes its side or the time runs out.
func Linger(nc net.Conn) {
	var buf [4096]byte
	end := time.Now().Add(lingerTotal)
	for time.Now().Before(end) {
		d := time.Now().Add(lingerGap)
		if d.After(end) {
			d = end
		}
		nc.SetReadDeadline(d)
		if _, err := nc.Read(buf[:]); err != nil {
			return
		}
	}
}
