package server

import (
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"webserv/internal/servertest/wait"
)

// fdPair returns a connection accepted as the loops accept (accept4 on
// the listener's descriptor, held as an fdConn) and the client's end.
func fdPair(t *testing.T) (*fdConn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err := net.DialTimeout("tcp", ln.Addr().String(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	client.SetDeadline(time.Now().Add(10 * time.Second))
	rc, err := ln.(*net.TCPListener).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var fd int
	var sa syscall.RawSockaddrInet6
	wait.Until(t, 5*time.Second, func() error {
		var errno syscall.Errno
		rc.Control(func(lfd uintptr) { fd, errno = rawAccept4(lfd, &sa) })
		if errno != 0 {
			return errno
		}
		return nil
	})
	c := newFDConn(fd, &sa)
	t.Cleanup(func() { c.Close() })
	return c, client
}

// waitInPoller waits until a read on c waits in the runtime's poller
// (its file exists).
func waitInPoller(t *testing.T, c *fdConn) {
	t.Helper()
	wait.Until(t, 5*time.Second, func() error {
		if c.file.Load() == nil {
			return errors.New("the read does not wait in the poller yet")
		}
		return nil
	})
}

func fdOpen(fd int) bool {
	_, _, e := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_GETFD, 0)
	return e == 0
}

func TestFDConnReadWriteAndAddresses(t *testing.T) {
	t.Parallel()
	c, client := fdPair(t)
	if got, want := c.RemoteAddr().String(), client.LocalAddr().String(); got != want {
		t.Errorf("RemoteAddr %q, want the client's %q", got, want)
	}
	if got, want := c.LocalAddr().String(), client.RemoteAddr().String(); got != want {
		t.Errorf("LocalAddr %q, want %q", got, want)
	}
	io.WriteString(client, "ping")
	b := make([]byte, 16)
	// The bytes may not be there yet: a read that must wait goes
	// through the runtime's poller.
	n, err := c.Read(b)
	if err != nil || string(b[:n]) != "ping" {
		t.Fatalf("Read: %q %v", b[:n], err)
	}
	if c.file.Load() == nil {
		// Raw, as nothing waited; now one that must.
		c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	}
	if _, err := c.Read(b); !isTimeout(err) || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Read past the deadline: %v, want a timeout", err)
	}
	c.SetReadDeadline(time.Time{})
	if n, err := c.Write([]byte("pong")); n != 4 || err != nil {
		t.Fatalf("Write: %d %v", n, err)
	}
	if n, err := io.ReadFull(client, b[:4]); n != 4 || string(b[:4]) != "pong" {
		t.Fatalf("client read %q %v", b[:n], err)
	}
	client.Close()
	if _, err := c.Read(b); err != io.EOF {
		t.Fatalf("Read after the client closed: %v, want io.EOF", err)
	}
}

// A Close while a raw call is under way leaves the descriptor to that
// call, which closes it as it ends: its number cannot have been reused
// beneath it.
func TestFDConnCloseWaitsForRawCall(t *testing.T) {
	t.Parallel()
	c, _ := fdPair(t)
	fd := c.fd
	if !c.incref() {
		t.Fatal("incref on an open connection failed")
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if !fdOpen(fd) {
		t.Fatal("descriptor closed under a raw call")
	}
	if c.incref() {
		t.Fatal("incref after Close succeeded")
	}
	c.decref()
	if fdOpen(fd) {
		t.Fatal("descriptor still open after the last raw call ended")
	}
	if err := c.Close(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("second Close: %v, want net.ErrClosed", err)
	}
	if _, err := c.Read(make([]byte, 1)); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Read after Close: %v, want net.ErrClosed", err)
	}
	if _, err := c.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Write after Close: %v, want net.ErrClosed", err)
	}
}

// Close wakes a read waiting in the runtime's poller (shutdown closing a
// busy connection).
func TestFDConnCloseWakesWaitingRead(t *testing.T) {
	t.Parallel()
	c, _ := fdPair(t)
	done := make(chan error, 1)
	go func() {
		_, err := c.Read(make([]byte, 1))
		done <- err
	}()
	waitInPoller(t, c)
	c.Close()
	select {
	case err := <-done:
		if !errors.Is(err, net.ErrClosed) {
			t.Errorf("waiting Read after Close: %v, want net.ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not wake the waiting Read")
	}
}

// After Close, the RawConn of an fdConn that waited in the runtime's
// poller fails as a net.TCPConn's does, with net.ErrClosed, which
// dispatch and h2 look for (the file's own error is "use of closed
// file").
func TestFDConnRawErrClosed(t *testing.T) {
	t.Parallel()
	c, _ := fdPair(t)
	rc, _ := c.SyscallConn()
	done := make(chan error, 1)
	go func() {
		done <- rc.Read(func(fd uintptr) bool {
			_, _, err := syscall.Recvfrom(int(fd), make([]byte, 1), syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
			return err != syscall.EAGAIN
		})
	}()
	waitInPoller(t, c)
	c.Close()
	select {
	case err := <-done:
		if !errors.Is(err, net.ErrClosed) {
			t.Errorf("RawConn.Read woken by Close: %v, want net.ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not wake the waiting RawConn.Read")
	}
	if err := rc.Write(func(uintptr) bool { return true }); !errors.Is(err, net.ErrClosed) {
		t.Errorf("RawConn.Write after Close: %v, want net.ErrClosed", err)
	}
	if err := c.CloseWrite(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("CloseWrite after Close: %v, want net.ErrClosed", err)
	}
}
