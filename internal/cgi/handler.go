package cgi

import (
	"log/slog"
	"strings"

	"webserv/internal/content"
	"webserv/internal/response"
	"webserv/internal/route"
)

// Handler runs Script for a request (content.Handler). Dispatch makes one
// for each program it runs, once it has found the script (Find); Runner
// owns the program's process group.
type Handler struct {
	Runner *Runner
	Script *Script
	Log    *slog.Logger // nil: discard
}

// Handle runs the program for r and writes its response (Runner.Serve). A
// local redirect (RFC 3875 §6.2.2) comes back as a *content.LocalRedirect
// with nothing written. With r.Status set, the program is an error page:
// the response keeps that status whatever the program says.
func (h *Handler) Handle(w response.Writer, r *content.Request) error {
	redirect, err := h.Runner.Serve(w, &Request{
		Req:        r.HTTP,
		Body:       r.Body,
		Script:     h.Script,
		RemoteAddr: r.Peer.Remote(),
		LocalAddr:  r.Peer.Local(),
		ServerName: serverName(r),
		HTTPS:      r.Peer.TLS(),
		HTTP2:      content.HTTP2(r.Peer),
		Timeout:    r.Loc.CGITimeout,
		Log:        h.Log,
		ClientGone: r.Peer.ClientGone,
		Status:     r.Status,
	})
	if err == nil && redirect != "" {
		return &content.LocalRedirect{Target: redirect}
	}
	return err
}

// serverName is SERVER_NAME (RFC 3875 §4.1.14): the server's first exact
// name, else the Host without its port.
func serverName(r *content.Request) string {
	if names := r.Server.Names; len(names) > 0 && names[0] != "" && !strings.HasPrefix(names[0], "*") {
		return names[0]
	}
	return string(route.StripPort(r.HTTP.Host))
}
