package static

import (
	"webserv/internal/content"
	"webserv/internal/response"
)

// Handle serves the file or directory r names (content.Handler): with
// r.Status when it is an error page's, else 200 (or 206, 304, 412, 416 as
// the request's conditions and range decide).
func (fl *Files) Handle(w response.Writer, r *content.Request) error {
	status := r.Status
	if status == 0 {
		status = 200
	}
	return fl.Serve(w, r.HTTP, r.Loc, r.Path, status)
}
