//go:build linux && (amd64 || arm64)

package http1

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// dataSegsOut is the socket's count of segments sent with data
// (tcp_info's tcpi_data_segs_out, Linux 4.6; at byte 156 of struct
// tcp_info, linux/tcp.h).
func dataSegsOut(t *testing.T, c net.Conn) uint32 {
	t.Helper()
	var info [256]byte
	var errno syscall.Errno
	rc, err := c.(*net.TCPConn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	rc.Control(func(fd uintptr) {
		n := uint32(len(info))
		_, _, errno = syscall.Syscall6(syscall.SYS_GETSOCKOPT, fd, syscall.IPPROTO_TCP, syscall.TCP_INFO, uintptr(unsafe.Pointer(&info[0])), uintptr(unsafe.Pointer(&n)), 0)
		if errno == 0 && n < 160 {
			t.Skipf("tcp_info of %d bytes: no tcpi_data_segs_out", n)
		}
	})
	if errno != 0 {
		t.Fatal(errno)
	}
	return *(*uint32)(unsafe.Pointer(&info[156]))
}

// A head followed by sendfile leaves in one segment with the file's bytes
// (MSG_MORE): sent alone, it cost the kernel one more packet to carry and
// the client a read of just the head (issue 17, the 20 KiB and 256 KiB
// rows). A head with no body to follow leaves at once.
func TestSendFileHeadJoinsBody(t *testing.T) {
	if !canSendMore {
		t.Skip("no MSG_MORE head on this architecture")
	}
	t.Parallel()
	data, f := testFile(t, 1000)
	for _, tc := range []struct {
		name     string
		cached   bool
		n        int64
		wantSegs uint32
	}{
		{"SendFile", false, 1000, 1},
		{"SendCachedFile", true, 1000, 1},
		{"empty region", false, 0, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			client, err := net.DialTimeout("tcp", ln.Addr().String(), 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer client.Close()
			ln.(*net.TCPListener).SetDeadline(time.Now().Add(5 * time.Second))
			server, err := ln.Accept()
			if err != nil {
				t.Fatal(err)
			}
			defer server.Close()
			before := dataSegsOut(t, server)

			var w ResponseWriter
			w.Reset(server, 1, false, true)
			w.SendTimeout = 5 * time.Second
			w.SetContentLength(tc.n)
			w.WriteHeader(200)
			send := w.SendFile
			if tc.cached {
				send = w.SendCachedFile
			}
			if m, err := send(int(f.Fd()), 0, tc.n); m != tc.n || err != nil {
				t.Fatalf("SendFile: %d, %v", m, err)
			}
			if err := w.Finish(); err != nil {
				t.Fatal(err)
			}

			client.SetDeadline(time.Now().Add(5 * time.Second))
			resp, err := http.ReadResponse(bufio.NewReader(client), nil)
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(resp.Body)
			if err != nil || !bytes.Equal(body, data[:tc.n]) {
				t.Fatalf("body: %d bytes, %v; want the file's first %d", len(body), err, tc.n)
			}
			if segs := dataSegsOut(t, server) - before; segs != tc.wantSegs {
				t.Errorf("the response left in %d segments, want %d", segs, tc.wantSegs)
			}
		})
	}
}
