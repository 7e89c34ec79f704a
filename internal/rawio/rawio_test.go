package rawio

import (
	"io"
	"os"
	"testing"
	"time"
)

// A read returns what the pipe holds (Short when that is less than asked
// for), ErrWouldBlock with nothing there under NoWait, the deadline's error
// when waiting past it, and io.EOF once the writer is gone.
func TestReader(t *testing.T) {
	t.Parallel()
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	rc, err := pr.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var r Reader
	r.Bind(rc)
	pw.Write([]byte("hello"))
	b := make([]byte, 16)
	if n, err := r.Read(b); n != 5 || err != nil || string(b[:n]) != "hello" || !r.Short {
		t.Fatalf("read %q, %v, short %v", b[:n], err, r.Short)
	}
	r.NoWait = true
	if n, err := r.Read(b); n != 0 || err != ErrWouldBlock {
		t.Fatalf("NoWait on an empty pipe: %d, %v", n, err)
	}
	r.NoWait = false
	pr.SetReadDeadline(time.Now().Add(10 * time.Millisecond))
	if _, err := r.Read(b); !os.IsTimeout(err) {
		t.Fatalf("past the deadline: %v", err)
	}
	pr.SetReadDeadline(time.Time{})
	pw.Close()
	if n, err := r.Read(b); n != 0 || err != io.EOF {
		t.Fatalf("after the writer closed: %d, %v", n, err)
	}
}
