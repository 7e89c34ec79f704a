package upload

import (
	"webserv/internal/content"
	"webserv/internal/http1"
	"webserv/internal/response"
)

// Handler stores uploads (POST: multipart or raw; PUT) in the location's
// upload_store and deletes files (DELETE) (content.Handler). Roots shares
// the open store directories among requests (nil: each request opens its
// own).
type Handler struct {
	Roots *Roots
}

// Handle answers r by its method; other methods are not this handler's
// (dispatch sends it only POST, PUT and DELETE).
func (h *Handler) Handle(w response.Writer, r *content.Request) error {
	env := &Env{MaxPartHeader: r.Server.ClientMaxHeaderSize, Roots: h.Roots}
	switch string(r.HTTP.Method) {
	case "POST":
		return Post(w, r.HTTP, r.Body, r.Loc, r.Path, env)
	case "PUT":
		return Put(w, r.HTTP, r.Body, r.Loc, r.Path, env)
	case "DELETE":
		return Delete(w, r.HTTP, r.Loc, r.Path)
	}
	return &http1.StatusError{Status: 405, Msg: "upload: method not handled"}
}
