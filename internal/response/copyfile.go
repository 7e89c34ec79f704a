package response

import (
	"io"
	"syscall"
)

// CopyFile writes n bytes of the open file fd from offset off to w, read
// with pread into buf (the descriptor's offset is neither used nor moved,
// so fd may be shared). It is SendFile for a writer that cannot use
// sendfile: TLS, HTTP/2 frames, a compressor. It returns the bytes
// written; fewer than n with a nil error means the file ended early.
func CopyFile(w io.Writer, fd int, off, n int64, buf []byte) (int64, error) {
	var done int64
	for done < n {
		b := buf[:min(int64(len(buf)), n-done)]
		m, err := syscall.Pread(fd, b, off+done)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return done, err
		}
		if m <= 0 {
			return done, nil // the file ended early
		}
		k, err := w.Write(b[:m])
		done += int64(k)
		if err != nil {
			return done, err
		}
	}
	return done, nil
}
