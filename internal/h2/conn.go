package h2

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// ClientPreface is what every HTTP/2 connection starts with (RFC 9113
// §3.4); a server sniffing a plain listener for h2c compares its first
// bytes with it.
const ClientPreface = http2.ClientPreface

// Config is one connection's limits. Zero fields take the Default values
// (limits.go).
type Config struct {
	// MaxConcurrentStreams is SETTINGS_MAX_CONCURRENT_STREAMS: streams
	// past it, or while that many handlers still run (their streams may
	// have been reset), are refused with REFUSED_STREAM.
	MaxConcurrentStreams uint32
	// InitialWindowSize is each stream's receive window, the most request
	// body bytes buffered for it.
	InitialWindowSize int32
	// MaxFrameSize is SETTINGS_MAX_FRAME_SIZE, the largest frame read.
	MaxFrameSize uint32
	// MaxHeaderListSize is SETTINGS_MAX_HEADER_LIST_SIZE; a longer
	// request header list is answered 431 (Stream.Err).
	MaxHeaderListSize uint32
	// MaxURILength bounds :path, as client_max_uri_length bounds an
	// HTTP/1.1 request-target: a longer one is answered 414 (Stream.Err).
	MaxURILength int

	// IdleTimeout closes a connection without open streams (GOAWAY
	// first); PrefaceTimeout bounds the wait for the client preface and
	// its SETTINGS. BodyTimeout is the default for Stream.SetBodyTimeout,
	// SendTimeout bounds every wait for the client to take response
	// bytes: a socket write, or a stream's flow-control window.
	IdleTimeout, PrefaceTimeout, BodyTimeout, SendTimeout time.Duration

	Log *slog.Logger // nil: discard

	// Idle, when set, follows whether the connection has streams to
	// serve: Idle(true) when its last stream ends, Idle(false) when a
	// stream is about to start on a connection without any. Idle(false)
	// returns false to refuse that stream: the server has taken the idle
	// connection back (max_connections) and is closing it. It runs with
	// the connection's lock held: it must not block.
	Idle func(idle bool) bool
}

func (c *Config) withDefaults() Config {
	var cfg Config
	if c != nil {
		cfg = *c
	}
	if cfg.MaxConcurrentStreams == 0 {
		cfg.MaxConcurrentStreams = DefaultMaxConcurrentStreams
	}
	if cfg.InitialWindowSize <= 0 {
		cfg.InitialWindowSize = DefaultInitialWindowSize
	}
	if cfg.MaxFrameSize == 0 {
		cfg.MaxFrameSize = DefaultMaxFrameSize
	}
	// RFC 9113 §6.5.2: SETTINGS_MAX_FRAME_SIZE lies in [2^14, 2^24-1].
	cfg.MaxFrameSize = min(max(cfg.MaxFrameSize, 1<<14), 1<<24-1)
	if cfg.MaxHeaderListSize == 0 {
		cfg.MaxHeaderListSize = DefaultMaxHeaderListSize
	}
	if cfg.MaxURILength <= 0 {
		cfg.MaxURILength = DefaultMaxURILength
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	if cfg.PrefaceTimeout <= 0 {
		cfg.PrefaceTimeout = DefaultPrefaceTimeout
	}
	if cfg.BodyTimeout <= 0 {
		cfg.BodyTimeout = DefaultBodyTimeout
	}
	if cfg.SendTimeout <= 0 {
		cfg.SendTimeout = DefaultSendTimeout
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return cfg
}

// Handler serves one request stream. ServeStream runs on its own
// goroutine; when it returns, the response ends (END_STREAM, or
// RST_STREAM when it is incomplete).
type Handler interface {
	ServeStream(s *Stream)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(s *Stream)

// ServeStream calls f(s).
func (f HandlerFunc) ServeStream(s *Stream) { f(s) }

// Errors a connection ends with (Serve's result) or a stream's body and
// writes return.
var (
	// ErrStreamClosed: the stream was reset (by the client, or by the
	// server for a protocol or flow-control error) or its connection
	// ended; nothing more can be read or written on it.
	ErrStreamClosed = errors.New("h2: stream closed")
	// ErrBodyTooLong is returned by Stream.Write past the declared
	// Content-Length.
	ErrBodyTooLong = errors.New("h2: body longer than declared Content-Length")
	errBadPreface  = errors.New("h2: bad client preface")
	errSendTimeout = errors.New("h2: send timed out")
)

// A ConnError is the protocol error a connection ended with: the GOAWAY
// code sent (RFC 9113 §5.4.1, §7).
type ConnError struct {
	Code   http2.ErrCode
	Reason string
}

func (e *ConnError) Error() string {
	return "h2: connection error " + e.Code.String() + ": " + e.Reason
}

// streamError is a stream error (RFC 9113 §5.4.2): RST_STREAM with Code,
// and the connection goes on.
type streamError struct {
	id   uint32
	code http2.ErrCode
}

func (e streamError) Error() string { return "h2: stream error " + e.code.String() }

func connErr(code http2.ErrCode, reason string) error { return &ConnError{code, reason} }

// Conn is one HTTP/2 connection, server side.
type Conn struct {
	nc  net.Conn
	cfg Config
	h   Handler
	log *slog.Logger

	// Owned by the reading goroutine (Serve).
	fr       *http2.Framer
	rd       readErrRecorder
	hdec     *hpack.Decoder
	hfields  []hpack.HeaderField // the header block being decoded
	hsize    uint32              // its decoded list size (RFC 9113 §6.5.2)
	htooBig  bool
	hblock   []byte // the header block being gathered from HEADERS and CONTINUATION
	hframe   headersStart
	sawFirst bool // the first frame (SETTINGS) has been read
	flood    float64
	floodAt  time.Time

	mu sync.Mutex
	// wcond wakes the writer: control frames queued, a stream ready,
	// windows opened, the connection ending.
	wcond   sync.Cond
	streams map[uint32]*Stream // streams not closed yet
	// recentlyClosed remembers the last closed stream IDs, and whether
	// the server reset them: frames that were in flight are then told
	// apart from frames on streams never opened (RFC 9113 §5.1).
	recentlyClosed [recentlyClosedStreams]closedStream
	closedNext     int
	maxClientID    uint32 // highest stream ID the client opened (§5.1.1)
	active         int    // streams open, or whose handler still runs
	handlers       sync.WaitGroup

	sendWindow     int64  // connection send window (§6.9.1)
	peerInitWindow int64  // peer's SETTINGS_INITIAL_WINDOW_SIZE
	peerMaxFrame   uint32 // peer's SETTINGS_MAX_FRAME_SIZE
	settingsAcked  bool   // the client acknowledged our SETTINGS
	recvWindow     int64  // bytes the client may still send on the connection
	recvUnacked    int64  // consumed bytes whose credit is not returned yet
	resetTokens    int    // rapid-reset budget

	ctl       []ctlFrame
	ready     []*Stream // streams with something to send, in turn
	readyNext []*Stream // the next round's order, when a batch ends within one

	// Streams whose handler returned before they closed, waiting for
	// their drain watch (Stream.finish): finishing since the writer's
	// last batch began, batched those that batch may close. The writer
	// watches those its batch left open, and all of them when it waits.
	finishing, batched []*Stream

	outBuffered int // response bytes the streams hold: at most connSendBuffer
	outWaiters  int // Writes waiting for room in connSendBuffer

	goAwaySent bool
	goAwayID   uint32 // last stream ID in the GOAWAY sent
	closing    bool   // no new streams; close once every stream is done
	closeNow   bool   // the writer's last batch: flush and close the write side
	lingering  bool   // the writer is done; the reader drains until goAwayLinger
	serving    bool   // the preface is read: the writer runs
	shutdown   bool   // Shutdown came before the preface
	dead       bool   // the connection is gone: every wait ends
	err        error  // why the connection ends

	// Owned by the writer goroutine (and c.mu while encoding).
	wfr     *http2.Framer
	wbuf    frameBuf
	enc     *hpack.Encoder
	hbuf    frameBuf
	date    string
	dateSec int64
	// The writer runs while there is something to send or a stream is
	// active (wakeWriterLocked); writerDone is closed when it is gone for
	// good.
	writerRunning bool
	writerExited  bool
	inBatch       bool // the writer is encoding or writing a batch
	idlePending   bool // Idle(true) waits for that batch to be written
	writerDone    chan struct{}
}

type closedStream struct {
	id    uint32
	reset bool // the server sent RST_STREAM: ignore what follows (§5.1)
}

// headersStart is the HEADERS frame a header block began with.
type headersStart struct {
	id        uint32
	endStream bool
	selfDep   bool // priority depends on the stream itself (§5.3.1)
}

// frameBuf is an append-only write buffer the Framer writes into.
type frameBuf struct{ b []byte }

func (w *frameBuf) Write(p []byte) (int, error) { w.b = append(w.b, p...); return len(p), nil }

// readErrRecorder remembers the underlying read error, so that an error
// from the Framer is told apart: the transport failed (close quietly) or
// the bytes were bad (GOAWAY PROTOCOL_ERROR).
type readErrRecorder struct {
	r   io.Reader
	err error
}

func (r *readErrRecorder) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil {
		r.err = err
	}
	return n, err
}

// connReader buffers the connection's reads for the Framer in a
// readBuffer slice from a pool, given back each time it is drained. A
// frame header (or a payload as short) read with nothing buffered goes
// straight into the Framer's slice: the wait for the client's next frame
// holds no buffer, so an idle connection has none. (A busy one pays one
// more read per burst of frames.)
type connReader struct {
	r        io.Reader
	buf      *[]byte // from readBufs; nil when drained
	off, end int
}

func (cr *connReader) Read(p []byte) (int, error) {
	if cr.buf == nil {
		if len(p) <= frameHeaderLen || len(p) >= readBuffer {
			return cr.r.Read(p)
		}
		cr.buf = readBufs.p.Get().(*[]byte)
		n, err := cr.r.Read((*cr.buf)[:readBuffer])
		if n == 0 {
			cr.release()
			return 0, err
		}
		// An error comes back at the next read, with nothing buffered.
		cr.off, cr.end = 0, n
	}
	n := copy(p, (*cr.buf)[cr.off:cr.end])
	if cr.off += n; cr.off == cr.end {
		cr.release()
	}
	return n, nil
}

func (cr *connReader) release() {
	readBufs.p.Put(cr.buf)
	cr.buf = nil
}

// frameHeaderLen is the size of a frame header (RFC 9113 §4.1).
const frameHeaderLen = 9

// prefixConn reads buffered first, then the connection.
type prefixReader struct {
	buf []byte
	r   io.Reader
}

func (p *prefixReader) Read(b []byte) (int, error) {
	if len(p.buf) > 0 {
		n := copy(b, p.buf)
		p.buf = p.buf[n:]
		return n, nil
	}
	return p.r.Read(b)
}

// NewConn prepares nc for serving with h.
func NewConn(nc net.Conn, cfg *Config, h Handler) *Conn {
	c := &Conn{nc: nc, cfg: cfg.withDefaults(), h: h}
	c.log = c.cfg.Log
	c.wcond.L = &c.mu
	c.streams = make(map[uint32]*Stream)
	c.sendWindow = 65535 // RFC 9113 §6.9.2: until the peer says otherwise
	c.peerInitWindow = 65535
	c.peerMaxFrame = 16384
	c.recvWindow = 65535
	c.resetTokens = resetBudgetFactor * int(c.cfg.MaxConcurrentStreams)
	c.flood = controlFloodBurst
	c.writerDone = make(chan struct{})
	return c
}

// ServeConn serves nc until the client leaves, a protocol error, a
// timeout or Shutdown ends it; buffered holds bytes already read from nc
// (the preface a server sniffed on a plain listener, in full or in part).
// It returns once every stream's handler has returned; nil means a clean
// end.
func ServeConn(nc net.Conn, cfg *Config, h Handler, buffered []byte) error {
	return NewConn(nc, cfg, h).Serve(buffered)
}

// Serve is ServeConn for a Conn made with NewConn (so that Shutdown can
// be called on it meanwhile).
func (c *Conn) Serve(buffered []byte) error {
	c.rd.r = &prefixReader{buf: buffered, r: c.nc}
	br := &connReader{r: &c.rd}
	c.nc.SetReadDeadline(time.Now().Add(c.cfg.PrefaceTimeout))
	var pre [len(http2.ClientPreface)]byte
	if _, err := io.ReadFull(br, pre[:]); err != nil || string(pre[:]) != http2.ClientPreface {
		c.nc.Close()
		if err == nil {
			err = errBadPreface
		}
		return err
	}

	c.fr = http2.NewFramer(nil, br)
	c.fr.SetMaxReadFrameSize(c.cfg.MaxFrameSize)
	c.hdec = hpack.NewDecoder(headerTableSize, c.emitField)
	c.hdec.SetMaxStringLength(int(c.cfg.MaxHeaderListSize))

	c.wfr = http2.NewFramer(&c.wbuf, nil)
	c.enc = hpack.NewEncoder(&c.hbuf)

	// RFC 9113 §3.4: the server preface is a SETTINGS frame, sent at once.
	c.mu.Lock()
	if c.shutdown {
		c.mu.Unlock()
		c.nc.Close()
		return nil
	}
	c.serving = true
	c.ctl = append(c.ctl, ctlFrame{kind: ctlSettings})
	if connWindow > 65535 {
		c.ctl = append(c.ctl, ctlFrame{kind: ctlWindowUpdate, val: connWindow - 65535})
		c.recvWindow = connWindow
	}
	c.wakeWriterLocked()
	c.mu.Unlock()

	err := c.readLoop()

	c.mu.Lock()
	final := c.closeNow
	c.mu.Unlock()
	if final {
		// Let the writer put the GOAWAY out (its write is bounded by
		// SendTimeout).
		<-c.writerDone
	}
	c.mu.Lock()
	if c.err == nil {
		c.err = err
	}
	err = c.err
	c.dead = true
	for _, st := range c.streams {
		st.goneLocked()
	}
	if c.writerRunning {
		c.wcond.Broadcast()
	} else {
		c.writerEndLocked()
	}
	c.mu.Unlock()
	c.nc.Close()
	<-c.writerDone
	c.handlers.Wait()
	if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) {
		err = nil
	}
	var ce *ConnError
	if errors.As(err, &ce) && ce.Code == http2.ErrCodeNo {
		err = nil
	}
	return err
}

// Shutdown stops the connection gracefully (graceful stop, reload):
// GOAWAY with the last stream ID taken (RFC 9113 §6.8), streams already
// open are served to their end, then the connection closes. Before the
// client's preface has been read, it just closes.
func (c *Conn) Shutdown() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.serving {
		c.shutdown = true
		c.nc.Close()
		return
	}
	c.goAwayLocked(http2.ErrCodeNo, false)
}

// Close ends the connection now; streams see ErrStreamClosed.
func (c *Conn) Close() error { return c.nc.Close() }

// goAwayLocked queues GOAWAY with code and stops taking new streams. With
// an error code (or immediate), the connection ends after it; with
// NO_ERROR, once the open streams are done.
func (c *Conn) goAwayLocked(code http2.ErrCode, immediate bool) {
	if !c.goAwaySent {
		c.goAwaySent = true
		c.goAwayID = c.maxClientID
		c.ctl = append(c.ctl, ctlFrame{kind: ctlGoAway, id: c.maxClientID, code: code})
	}
	c.closing = true
	if immediate || code != http2.ErrCodeNo || c.active == 0 {
		c.closeNow = true
	}
	c.wakeWriterLocked()
}

// readLoop reads and handles frames until the connection ends.
func (c *Conn) readLoop() error {
	draining := false // a GOAWAY ended the connection: read until the client closes
	for {
		fh, err := c.fr.ReadFrameHeader()
		var f http2.Frame
		if err == nil {
			f, err = c.fr.ReadFrameForHeader(fh)
		}
		if draining {
			if err != nil && c.rd.err != nil {
				return nil
			}
			continue
		}
		if err == nil {
			err = c.processFrame(f)
		} else {
			err = c.classifyReadError(fh, err)
		}
		if err == nil {
			continue
		}
		var se streamError
		if errors.As(err, &se) {
			c.mu.Lock()
			over := false
			if st := c.streams[se.id]; st != nil && !st.localDone {
				// A stream the client makes the server reset before its
				// response is complete costs what its own reset would:
				// the rapid reset budget (CVE-2023-44487).
				c.resetTokens--
				over = c.resetTokens < 0
			}
			c.resetStreamLocked(se.id, se.code)
			c.mu.Unlock()
			if !over {
				continue
			}
			err = &ConnError{http2.ErrCodeEnhanceYourCalm, "too many streams reset"}
		}
		var ce *ConnError
		if !errors.As(err, &ce) {
			if isTimeout(err) {
				c.mu.Lock()
				idle := c.active == 0 || c.closing
				lingered := c.lingering
				c.mu.Unlock()
				if lingered {
					// The final GOAWAY went out and the client had
					// goAwayLinger to close: the connection is over.
					return nil
				}
				if idle && c.sawFirst {
					// Idle timeout: say so before closing (RFC 9113 §6.8).
					ce = &ConnError{http2.ErrCodeNo, "idle timeout"}
				}
			}
			if ce == nil {
				return err // the transport failed: nothing can be said
			}
		}
		c.log.Debug("h2: connection error", "code", ce.Code.String(), "reason", ce.Reason, "remote", c.nc.RemoteAddr().String())
		c.mu.Lock()
		c.err = ce
		c.goAwayLocked(ce.Code, true)
		for _, st := range c.streams {
			st.goneLocked()
		}
		c.mu.Unlock()
		draining = true
		c.rd.err = nil
		c.nc.SetReadDeadline(time.Now().Add(goAwayLinger + c.cfg.SendTimeout))
	}
}

// The read deadline: the preface timeout until the client's SETTINGS,
// then the idle timeout while no stream is active (armed when the last
// one is released, so that PINGs do not keep an idle connection), none
// while streams are (their body and send timeouts watch them), and
// goAwayLinger once a GOAWAY ends the connection.

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()
}

// classifyReadError maps a Framer error to a stream or connection error,
// or returns the transport's error.
func (c *Conn) classifyReadError(fh http2.FrameHeader, err error) error {
	if c.rd.err != nil {
		return c.rd.err
	}
	switch e := err.(type) {
	case http2.StreamError:
		if fh.Type == http2.FrameHeaders {
			// The header block was not decoded: HPACK state is lost.
			return connErr(http2.ErrCodeProtocol, "bad HEADERS frame")
		}
		if c.streamStateIdle(e.StreamID) {
			return connErr(http2.ErrCodeProtocol, "frame on idle stream")
		}
		return streamError{e.StreamID, e.Code}
	case http2.ConnectionError:
		reason := "bad frame"
		if d := c.fr.ErrorDetail(); d != nil {
			reason = d.Error()
		}
		return connErr(http2.ErrCode(e), reason)
	}
	if errors.Is(err, http2.ErrFrameTooLarge) {
		return connErr(http2.ErrCodeFrameSize, "frame larger than SETTINGS_MAX_FRAME_SIZE")
	}
	// A payload too short for its fixed fields (RFC 9113 §4.2).
	return connErr(http2.ErrCodeFrameSize, err.Error())
}

func (c *Conn) streamStateIdle(id uint32) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return id > c.maxClientID && c.streams[id] == nil
}

// spendFlood takes one token from the control-frame budget; false when
// it is exhausted.
func (c *Conn) spendFlood() bool {
	now := time.Now()
	if !c.floodAt.IsZero() {
		c.flood = min(controlFloodBurst, c.flood+now.Sub(c.floodAt).Seconds()*controlFloodRate)
	}
	c.floodAt = now
	if c.flood < 1 {
		return false
	}
	c.flood--
	return true
}

var errFlood = &ConnError{http2.ErrCodeEnhanceYourCalm, "control frame flood"}

func (c *Conn) processFrame(f http2.Frame) error {
	fh := f.Header()
	if !c.sawFirst {
		// RFC 9113 §3.4: the client preface ends with a SETTINGS frame.
		sf, ok := f.(*http2.SettingsFrame)
		if !ok || sf.IsAck() {
			return connErr(http2.ErrCodeProtocol, "client preface without SETTINGS")
		}
		c.sawFirst = true
		c.mu.Lock()
		if c.active == 0 && !c.lingering {
			c.nc.SetReadDeadline(time.Now().Add(c.cfg.IdleTimeout))
		}
		c.mu.Unlock()
	}
	if c.hframe.id != 0 && fh.Type != http2.FrameContinuation {
		// The Framer checks this order already; keep the invariant here.
		return connErr(http2.ErrCodeProtocol, "header block interrupted")
	}
	switch f := f.(type) {
	case *http2.SettingsFrame:
		if !c.spendFlood() {
			return errFlood
		}
		return c.processSettings(f)
	case *http2.PingFrame:
		if !c.spendFlood() {
			return errFlood
		}
		if f.IsAck() {
			return nil
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.queueCtlLocked(ctlFrame{kind: ctlPingAck, ping: f.Data})
	case *http2.HeadersFrame:
		return c.processHeadersFrame(f)
	case *http2.ContinuationFrame:
		return c.processContinuation(f)
	case *http2.DataFrame:
		return c.processData(f)
	case *http2.WindowUpdateFrame:
		return c.processWindowUpdate(f)
	case *http2.RSTStreamFrame:
		return c.processRST(f)
	case *http2.PriorityFrame:
		if !c.spendFlood() {
			return errFlood
		}
		// RFC 9113 §5.3.2: priority signals are ignored, but a stream
		// cannot depend on itself (RFC 7540 §5.3.1).
		if f.StreamDep == fh.StreamID {
			return streamError{fh.StreamID, http2.ErrCodeProtocol}
		}
		return nil
	case *http2.GoAwayFrame:
		// The client opens no more streams; those open are served.
		c.mu.Lock()
		c.closing = true
		if c.active == 0 {
			c.goAwayLocked(http2.ErrCodeNo, true)
		}
		c.mu.Unlock()
		return nil
	case *http2.PushPromiseFrame:
		// RFC 9113 §8.4: only servers push.
		return connErr(http2.ErrCodeProtocol, "PUSH_PROMISE from a client")
	default:
		// RFC 9113 §4.1, §5.5: unknown frame types are ignored.
		if !c.spendFlood() {
			return errFlood
		}
		return nil
	}
}

func (c *Conn) processSettings(f *http2.SettingsFrame) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if f.IsAck() {
		c.settingsAcked = true
		return nil
	}
	err := f.ForeachSetting(func(s http2.Setting) error {
		if err := s.Valid(); err != nil {
			return connErr(http2.ErrCode(err.(http2.ConnectionError)), "invalid "+s.ID.String())
		}
		switch s.ID {
		case http2.SettingHeaderTableSize:
			c.enc.SetMaxDynamicTableSizeLimit(min(s.Val, headerTableSize))
		case http2.SettingInitialWindowSize:
			// RFC 9113 §6.9.2: the change applies to every open stream's
			// send window; one past 2^31-1 is a FLOW_CONTROL_ERROR.
			delta := int64(s.Val) - c.peerInitWindow
			c.peerInitWindow = int64(s.Val)
			for _, st := range c.streams {
				st.sendWindow += delta
				if st.sendWindow > maxWindow {
					return connErr(http2.ErrCodeFlowControl, "initial window overflows a stream window")
				}
				if delta > 0 {
					c.readyLocked(st)
				}
			}
		case http2.SettingMaxFrameSize:
			c.peerMaxFrame = s.Val
		}
		return nil
	})
	if err != nil {
		return err
	}
	return c.queueCtlLocked(ctlFrame{kind: ctlSettingsAck})
}

const maxWindow = 1<<31 - 1

func (c *Conn) processWindowUpdate(f *http2.WindowUpdateFrame) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	id := f.StreamID
	if id == 0 {
		c.sendWindow += int64(f.Increment)
		if c.sendWindow > maxWindow {
			return connErr(http2.ErrCodeFlowControl, "connection window overflow")
		}
		c.wakeWriterLocked()
		return nil
	}
	st := c.streams[id]
	if st == nil {
		if id > c.maxClientID {
			return connErr(http2.ErrCodeProtocol, "WINDOW_UPDATE on idle stream")
		}
		return nil // closed: in flight (RFC 9113 §6.9)
	}
	st.sendWindow += int64(f.Increment)
	if st.sendWindow > maxWindow {
		return streamError{id, http2.ErrCodeFlowControl}
	}
	c.readyLocked(st)
	return nil
}

func (c *Conn) processRST(f *http2.RSTStreamFrame) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	id := f.StreamID
	st := c.streams[id]
	if st == nil {
		if id > c.maxClientID {
			return connErr(http2.ErrCodeProtocol, "RST_STREAM on idle stream")
		}
		return nil
	}
	if !st.localDone {
		// Reset before its response was complete: the rapid reset budget.
		if c.resetTokens--; c.resetTokens < 0 {
			return &ConnError{http2.ErrCodeEnhanceYourCalm, "too many streams reset"}
		}
	}
	st.peerReset = true
	st.localDone = true
	st.remoteDone = true
	c.closeStreamLocked(st, false)
	return nil
}

func (c *Conn) processData(f *http2.DataFrame) error {
	id := f.StreamID
	n := int64(f.Length) // padding included: it counts (RFC 9113 §6.9.1)
	data := f.Data()
	if len(data) == 0 && !f.StreamEnded() && !c.spendFlood() {
		return errFlood
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if n > c.recvWindow {
		return connErr(http2.ErrCodeFlowControl, "DATA past the connection window")
	}
	c.recvWindow -= n
	st := c.streams[id]
	if st == nil || st.remoteDone {
		c.creditLocked(nil, n)
		if st != nil {
			return streamError{id, http2.ErrCodeStreamClosed}
		}
		if id > c.maxClientID {
			return connErr(http2.ErrCodeProtocol, "DATA on idle stream")
		}
		if c.wasResetLocked(id) {
			return nil
		}
		return streamError{id, http2.ErrCodeStreamClosed}
	}
	if n > st.recvWindow {
		c.creditLocked(nil, n)
		return streamError{id, http2.ErrCodeFlowControl}
	}
	st.recvWindow -= n
	st.received += int64(len(data))
	if st.req.ContentLength >= 0 && st.received > st.req.ContentLength {
		// RFC 9113 §8.1.1: more DATA than content-length is malformed.
		c.creditLocked(nil, n)
		return streamError{id, http2.ErrCodeProtocol}
	}
	if pad := n - int64(len(data)); pad > 0 {
		c.creditLocked(st, pad) // padding is never read by the handler
	}
	if st.bodyAbandoned {
		c.creditLocked(nil, int64(len(data)))
		if len(data) > 0 && !f.StreamEnded() {
			// A body after the response: stop it (RFC 9113 §8.1).
			if st.endSent {
				c.resetStreamLocked(id, http2.ErrCodeNo)
				return nil
			}
			st.rstAfterEnd = true
		}
	} else if len(data) > 0 {
		if st.inOff > 0 && st.inOff >= len(st.in)/2 {
			// Drop what the handler has read: a handler that never
			// empties the buffer would otherwise make it grow with the
			// whole body. st.in stays within twice the receive window.
			st.in = st.in[:copy(st.in, st.in[st.inOff:])]
			st.inOff = 0
		}
		st.in = append(st.in, data...)
		st.cond.Broadcast()
	}
	if f.StreamEnded() {
		if st.req.ContentLength >= 0 && st.received != st.req.ContentLength {
			return streamError{id, http2.ErrCodeProtocol}
		}
		c.remoteEndLocked(st)
	}
	return nil
}

// remoteEndLocked records the client's END_STREAM. The stream closes
// once ours is written too (RFC 9113 §5.1): one only queued still has its
// response to send, and endSentLocked closes it then.
func (c *Conn) remoteEndLocked(st *Stream) {
	st.remoteDone = true
	st.inEOF = true
	st.cond.Broadcast()
	if st.endSent {
		c.closeStreamLocked(st, false)
	}
}

// creditLocked returns n consumed bytes of receive window: to the
// connection, and to st when st is not nil and still receiving. Credit
// goes back in WINDOW_UPDATE frames once a quarter of a window is owed.
func (c *Conn) creditLocked(st *Stream, n int64) {
	if n <= 0 || c.dead {
		return
	}
	c.recvUnacked += n
	if c.recvUnacked >= connWindow/windowUpdateThreshold {
		c.queueCtlLocked(ctlFrame{kind: ctlWindowUpdate, val: uint32(c.recvUnacked)})
		c.recvWindow += c.recvUnacked
		c.recvUnacked = 0
	}
	if st == nil || st.remoteDone {
		return
	}
	st.recvUnacked += n
	if st.recvUnacked >= int64(c.cfg.InitialWindowSize)/windowUpdateThreshold {
		c.queueCtlLocked(ctlFrame{kind: ctlWindowUpdate, id: st.id, val: uint32(st.recvUnacked)})
		st.recvWindow += st.recvUnacked
		st.recvUnacked = 0
	}
}

// resetStreamLocked sends RST_STREAM(code) for id and closes the stream if
// it is open.
func (c *Conn) resetStreamLocked(id uint32, code http2.ErrCode) {
	if c.dead {
		return
	}
	if id > c.maxClientID && id%2 == 1 {
		c.maxClientID = id // an ID used, even by a refused stream (§5.1.1)
	}
	st := c.streams[id]
	if st != nil {
		st.localDone = true
		st.remoteDone = true
		c.closeStreamLocked(st, true)
	} else {
		c.rememberClosedLocked(id, true)
	}
	c.queueCtlLocked(ctlFrame{kind: ctlRST, id: id, code: code})
}

// closeStreamLocked moves st to "closed": gone (if not ended cleanly),
// forgotten by the connection, its buffers released.
func (c *Conn) closeStreamLocked(st *Stream, reset bool) {
	if st.closed {
		return
	}
	st.closed = true
	if st.drain != nil {
		st.drain.Stop()
		st.drain = nil
	}
	if reset || st.peerReset || !st.endSent {
		st.goneLocked()
	}
	delete(c.streams, st.id)
	c.rememberClosedLocked(st.id, reset)
	// Unread body bytes: their connection credit comes back now.
	if len(st.in) > st.inOff {
		c.creditLocked(nil, int64(len(st.in)-st.inOff))
	}
	st.in, st.inOff = nil, 0
	c.unbufferLocked(len(st.out) - st.outOff)
	if st.out != nil {
		frameBufs.put(st.out)
	}
	st.out, st.outOff = nil, 0
	st.cond.Broadcast()
	c.releaseLocked(st)
}

// unbufferLocked accounts for n response bytes leaving the streams'
// buffers (sent or dropped), and wakes the Writes waiting for that room.
func (c *Conn) unbufferLocked(n int) {
	if n <= 0 {
		return
	}
	c.outBuffered -= n
	if c.outWaiters > 0 {
		for _, st := range c.streams {
			st.cond.Broadcast()
		}
	}
}

// idleLocked tells the server (Config.Idle) that the connection has no
// stream left, once the batch the writer is sending — which may hold the
// end of the last response — is on the wire: the server may close an idle
// connection, and must not cut that response short.
func (c *Conn) idleLocked() {
	if c.cfg.Idle == nil {
		return
	}
	if c.inBatch {
		c.idlePending = true // the writer says it after its write
		return
	}
	c.cfg.Idle(true)
}

// releaseLocked drops st from the active count once it is both closed and
// its handler has returned; the last one arms the idle timeout or ends a
// closing connection.
func (c *Conn) releaseLocked(st *Stream) {
	if !st.closed || !st.handlerDone || st.released {
		return
	}
	st.released = true
	c.active--
	if c.active == 0 {
		c.idleLocked()
		if c.writerRunning {
			c.wcond.Signal() // the writer exits, and lets its buffer go
		}
		if c.closing {
			c.goAwayLocked(http2.ErrCodeNo, true)
		} else if !c.dead && !c.lingering {
			c.nc.SetReadDeadline(time.Now().Add(c.cfg.IdleTimeout))
		}
	}
}

func (c *Conn) rememberClosedLocked(id uint32, reset bool) {
	c.recentlyClosed[c.closedNext] = closedStream{id, reset}
	c.closedNext = (c.closedNext + 1) % len(c.recentlyClosed)
}

func (c *Conn) wasResetLocked(id uint32) bool {
	for _, cs := range c.recentlyClosed {
		if cs.id == id {
			return cs.reset
		}
	}
	return false
}

func (c *Conn) wasClosedLocked(id uint32) bool {
	for _, cs := range c.recentlyClosed {
		if cs.id == id {
			return true
		}
	}
	return false
}
