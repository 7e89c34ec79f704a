// Package accesslog writes access log lines — nginx's combined format or
// JSON, one per request — without ever making a request wait for the disk.
//
// A request formats its line into a pooled buffer and hands it to a
// bounded queue; one goroutine per log file writes the queue out through a
// buffered writer. When the queue is full (the disk cannot keep up) the
// line is dropped and counted, and the count is logged periodically and at
// close: losing log lines is better than stalling every request behind a
// slow disk. The destination may also be standard error (Stderr, the
// embedded demo's `access_log stderr;`), which it shares with the error
// log: every write carries whole lines. Reopen implements logrotate's convention (SIGUSR1: rename the
// file, signal, the server opens a new file at the old path).
//
// The combined format is nginx's:
//
//	$remote_addr - - [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"
//
// with nginx's escaping of quoted values: '"', '\' and bytes outside
// printable ASCII become \xHH, so that a line always splits back into its
// fields. JSON lines are objects with the keys time, remote_addr, method,
// target, status, bytes, duration_ms, user_agent, referer and server_name
// (RFC 8259 string escaping).
//
// File is a small reopenable file for the error log, which shares the
// SIGUSR1 convention.
package accesslog
