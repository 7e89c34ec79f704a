package static

import (
	"os"
	"syscall"
	"testing"

	"webserv/internal/http1"
)

// FileError's message is the cause the error log gives (handler.go): a
// 403 from an unreadable root says so.
func TestFileErrorCauses(t *testing.T) {
	for _, tc := range []struct {
		err    error
		status int
		msg    string
	}{
		{syscall.ENOENT, 404, "file not found"},
		{syscall.ENOTDIR, 404, "file not found"},
		{syscall.EACCES, 403, "permission denied"},
		{&os.PathError{Op: "open", Path: "/x", Err: syscall.EPERM}, 403, "permission denied"},
		{syscall.EMFILE, 503, "out of file descriptors"},
	} {
		se := http1.StatusOf(FileError(tc.err))
		if se == nil || se.Status != tc.status || se.Msg != tc.msg {
			t.Errorf("FileError(%v): got %v, want %d %q", tc.err, se, tc.status, tc.msg)
		}
	}
}
