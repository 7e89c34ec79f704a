package h2

import (
	"time"

	"webserv/internal/http1"
)

// Defaults for the zero fields of Config.
const (
	// DefaultMaxConcurrentStreams is nginx's http2_max_concurrent_streams
	// default (RFC 9113 §6.5.2 recommends no less than 100).
	DefaultMaxConcurrentStreams = 128

	// DefaultInitialWindowSize is the receive window advertised for every
	// stream. 256 KiB lets one upload run at about 20 MB/s over a 12 ms
	// round trip (a metro link) without waiting for credit, four times
	// the protocol's 64 KiB default; memory stays bounded by the
	// connection window below whatever the number of streams.
	DefaultInitialWindowSize = 256 << 10

	// DefaultMaxFrameSize is the largest frame payload the server reads
	// (SETTINGS_MAX_FRAME_SIZE): the protocol's minimum and default, what
	// nginx and Go read. Larger frames would only make one stream's DATA
	// hold the connection longer.
	DefaultMaxFrameSize = 16 << 10

	// DefaultMaxHeaderListSize bounds a request's decoded header list
	// (SETTINGS_MAX_HEADER_LIST_SIZE, RFC 9113 §6.5.2): 32 KiB, nginx's
	// large_client_header_buffers (4 × 8k) in HTTP/2 terms.
	DefaultMaxHeaderListSize = 32 << 10

	// DefaultMaxURILength bounds :path as the HTTP/1.1 parser bounds a
	// request-target by default (client_max_uri_length).
	DefaultMaxURILength = http1.DefaultMaxURILength

	DefaultIdleTimeout    = 3 * time.Minute // nginx keepalive_timeout 75s; browsers keep h2 longer
	DefaultPrefaceTimeout = 10 * time.Second
	DefaultBodyTimeout    = 60 * time.Second // nginx client_body_timeout
	DefaultSendTimeout    = 60 * time.Second // nginx send_timeout
)

const (
	// connWindow is the connection receive window (RFC 9113 §6.9.1): the
	// most request body bytes buffered on a connection whatever the
	// number of streams, since the client may not send past it.
	connWindow = 1 << 20

	// windowUpdateThreshold: credit is returned once this fraction
	// (1/windowUpdateThreshold) of a window has been consumed, not per
	// read, so that a byte-by-byte reader does not cost a frame per byte.
	windowUpdateThreshold = 4

	// headerTableSize is the HPACK dynamic table size in both directions
	// (SETTINGS_HEADER_TABLE_SIZE, RFC 7541 §4.2): the protocol default.
	// A larger table asked by the peer for our encoder is capped to it,
	// so a client cannot make the server hold more per connection.
	headerTableSize = 4096

	// maxHeaderBlockFactor bounds a header block's encoded size while its
	// HEADERS and CONTINUATION frames are read, before any decoding:
	// MaxHeaderListSize times this (HPACK can only shrink a list, but
	// padding-free literal encoding may expand it by a few bytes per
	// field). Past it the connection ends: the CONTINUATION flood
	// (CVE-2024-27316) cannot make the server buffer without bound.
	maxHeaderBlockFactor = 2

	// streamSendBuffer is how many response bytes a stream holds ahead
	// of the writer: one handler Write waits once this much is queued,
	// so a response's memory is bounded whatever the client's window.
	// Four default frames: enough to fill frames while the handler reads
	// its next slice.
	streamSendBuffer = 64 << 10

	// connSendBuffer bounds the response bytes all the streams of a
	// connection hold ahead of the writer: a client that opens many
	// streams and gives them no window makes at most this much wait in
	// memory, not MaxConcurrentStreams times streamSendBuffer. A Write
	// waits for room here as for its stream's, for at most SendTimeout;
	// sixteen streams' buffers, so a client taking its responses as
	// fast as they come never waits on it.
	connSendBuffer = 1 << 20

	// writeBatch is how many bytes the writer gathers from ready streams
	// before one write to the socket.
	writeBatch = 64 << 10

	// sendFileChunk is the slice SendFile reads with pread: one default
	// DATA frame's worth.
	sendFileChunk = 16 << 10

	// recentlyClosedStreams is how many closed stream IDs a connection
	// remembers to tell frames still in flight on them (STREAM_CLOSED, or
	// ignored after our RST_STREAM) from frames on IDs never opened
	// (PROTOCOL_ERROR). More than the frames a client has in flight when
	// a stream closes.
	recentlyClosedStreams = 32

	// readBuffer is the connection's read buffer while frames are coming
	// (an idle connection has none, see connReader): small, since a
	// frame payload at least this large is read past it straight into
	// the Framer's buffer.
	readBuffer = 4 << 10

	// idleWriteBuffer: a write buffer grown past this is dropped once the
	// writer has nothing more to send, so idle connections stay small.
	idleWriteBuffer = 4 << 10

	// maxControlQueue bounds the control frames (SETTINGS and PING acks,
	// RST_STREAM, WINDOW_UPDATE) waiting to be written: a client that
	// makes the server answer without reading the answers is cut (Go's
	// maxQueuedControlFrames has the same role).
	maxControlQueue = 10000

	// controlFloodBurst and controlFloodRate bound the frames that cost
	// the server work without carrying a request: PING, SETTINGS,
	// PRIORITY, empty DATA without END_STREAM, empty CONTINUATION. A
	// token bucket of controlFloodBurst tokens refilled at
	// controlFloodRate per second; when it is empty the connection ends
	// with GOAWAY(ENHANCE_YOUR_CALM) (nginx and Go do the same for
	// CVE-2019-9512, -9513, -9518).
	controlFloodBurst = 1000
	controlFloodRate  = 100

	// resetBudgetFactor: a client may reset (or have refused, or make
	// the server reset) this many times MaxConcurrentStreams streams
	// before their response is complete; each stream served to its end earns one back. Past it
	// the connection ends with GOAWAY(ENHANCE_YOUR_CALM): the rapid reset
	// attack (CVE-2023-44487) opens and cancels streams without bound.
	resetBudgetFactor = 2

	// goAwayLinger is how long a connection ended with GOAWAY keeps
	// reading (and discarding) before it closes, so that the client
	// reads the GOAWAY instead of a TCP reset (RFC 9113 §6.8).
	goAwayLinger = time.Second
)
