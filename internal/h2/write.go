package h2

import (
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"webserv/internal/http1"
)

func hf(name, value string) hpack.HeaderField { return hpack.HeaderField{Name: name, Value: value} }

// ctlFrame is a control frame waiting for the writer. Control frames go
// before any stream's HEADERS or DATA: acknowledgements and credit should
// not wait behind bulk data.
type ctlFrame struct {
	kind ctlKind
	id   uint32
	code http2.ErrCode
	val  uint32
	ping [8]byte
}

type ctlKind uint8

const (
	ctlSettings ctlKind = iota
	ctlSettingsAck
	ctlPingAck
	ctlRST
	ctlWindowUpdate
	ctlGoAway
)

// queueCtlLocked queues a control frame for the writer. A client that
// makes the server queue maxControlQueue of them without reading is cut.
func (c *Conn) queueCtlLocked(f ctlFrame) error {
	if c.dead {
		return nil
	}
	if len(c.ctl) >= maxControlQueue {
		return &ConnError{http2.ErrCodeEnhanceYourCalm, "control frames not read"}
	}
	c.ctl = append(c.ctl, f)
	c.wakeWriterLocked()
	return nil
}

// readyLocked puts st in the writer's round robin.
func (c *Conn) readyLocked(st *Stream) {
	if !st.queued && !st.closed {
		st.queued = true
		c.ready = append(c.ready, st)
	}
	c.wakeWriterLocked()
}

// hasWorkLocked reports whether st has frames queued, sendable now or not.
func (st *Stream) hasWorkLocked() bool {
	return !st.closed && (st.interim || st.head != nil ||
		st.headQueued && (len(st.out) > st.outOff || st.endQueued && !st.endSent))
}

// canSendLocked reports whether the writer can make progress on st now.
func (c *Conn) canSendLocked(st *Stream) bool {
	if st.closed {
		return false
	}
	if st.interim || st.head != nil {
		return true
	}
	if !st.headQueued {
		return false // body bytes wait for their head
	}
	if len(st.out) > st.outOff {
		return st.sendWindow > 0 && c.sendWindow > 0
	}
	return st.endQueued && !st.endSent
}

func (c *Conn) streamsWritableLocked() bool {
	for _, st := range c.ready {
		if c.canSendLocked(st) {
			return true
		}
	}
	return false
}

// wakeWriterLocked has the writer look at the queues: it wakes the
// writer waiting for work, or starts one. An idle connection has no
// writer goroutine (nor its stack): one starts when there is something to
// send, and exits once no stream is left.
func (c *Conn) wakeWriterLocked() {
	switch {
	case c.writerRunning:
		c.wcond.Signal()
	case c.serving && !c.dead && !c.writerExited:
		c.writerRunning = true
		go c.writeLoop()
	}
}

// writerEndLocked records that the writer is gone for good (the
// connection is dead, or its final GOAWAY is out).
func (c *Conn) writerEndLocked() {
	c.writerRunning = false
	if !c.writerExited {
		c.writerExited = true
		close(c.writerDone)
	}
}

// writeLoop is the connection's only writer. It gathers what is ready —
// control frames, then one frame per stream in turn — into one buffer,
// and writes it with c.mu released, so that streams keep queueing while
// the socket takes the bytes.
func (c *Conn) writeLoop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for {
		for !c.dead && len(c.ctl) == 0 && !c.closeNow && !c.streamsWritableLocked() {
			if c.active == 0 {
				// No stream left: the writer exits, and an idle
				// connection keeps neither it nor a batch-sized buffer.
				// (A busy one keeps both from batch to batch.)
				batchBufs.put(c.wbuf.b)
				c.wbuf.b = nil
				c.finishing, c.batched = nil, nil // every stream is closed
				c.writerRunning = false
				return
			}
			// Nothing to send now: what is left of finished streams
			// waits for the client, watched.
			c.watchDrainsLocked(&c.batched, false)
			c.watchDrainsLocked(&c.finishing, false)
			c.wcond.Wait()
		}
		if c.dead {
			c.writerEndLocked()
			return
		}
		if !c.closeNow && c.active > len(c.ready) {
			// Other streams' handlers are still at work: let them run
			// once before gathering, so that their responses share this
			// write rather than costing one each.
			c.mu.Unlock()
			runtime.Gosched()
			c.mu.Lock()
			if c.dead {
				c.writerEndLocked()
				return
			}
		}
		if c.wbuf.b == nil {
			c.wbuf.b = batchBufs.get()
		}
		c.wbuf.b = c.wbuf.b[:0]
		c.inBatch = true
		c.batched, c.finishing = append(c.batched, c.finishing...), c.finishing[:0]
		c.encodeCtlLocked()
		if !c.closeNow {
			c.encodeStreamsLocked()
			if c.closeNow {
				// The last stream closed in this batch: the GOAWAY (and
				// any RST_STREAM) it queued go out with it.
				c.encodeCtlLocked()
			}
		}
		final := c.closeNow
		if b := c.wbuf.b; len(b) > 0 {
			c.mu.Unlock()
			c.nc.SetWriteDeadline(time.Now().Add(c.cfg.SendTimeout))
			_, err := c.nc.Write(b)
			c.mu.Lock()
			if err != nil {
				if c.err == nil {
					c.err = err
				}
				c.dead = true
				for _, st := range c.streams {
					st.goneLocked()
				}
				// The reader stops too. A TLS Close writes close_notify,
				// which may wait for the client: not under c.mu, which
				// every handler and the reader need.
				c.mu.Unlock()
				c.nc.Close()
				c.mu.Lock()
				c.writerEndLocked()
				return
			}
		}
		c.inBatch = false
		c.watchDrainsLocked(&c.batched, true)
		if c.idlePending {
			c.idlePending = false
			if c.active == 0 && !c.dead {
				c.cfg.Idle(true)
			}
		}
		if final {
			// RFC 9113 §6.8: the GOAWAY is out; half-close so that the
			// client reads it before the connection goes, and let the
			// reader drain for goAwayLinger.
			c.lingering = true
			c.mu.Unlock()
			// Not under c.mu: a TLS CloseWrite writes close_notify, which
			// may wait for the client for the write deadline.
			if cw, ok := c.nc.(interface{ CloseWrite() error }); ok {
				cw.CloseWrite()
			}
			c.nc.SetReadDeadline(time.Now().Add(goAwayLinger))
			c.mu.Lock()
			c.writerEndLocked()
			return
		}
	}
}

// watchDrainsLocked starts the drain watch (Stream.watchDrainLocked) of
// the finished streams in *list still open, and empties the list; with
// keepSendable, a stream the writer can still send on stays listed
// instead (a full batch left it for the next: it makes progress).
func (c *Conn) watchDrainsLocked(list *[]*Stream, keepSendable bool) {
	keep := (*list)[:0]
	for _, st := range *list {
		switch {
		case st.closed || st.drain != nil || c.dead:
		case keepSendable && c.canSendLocked(st):
			keep = append(keep, st)
		default:
			st.watchDrainLocked()
		}
	}
	clear((*list)[len(keep):])
	*list = keep
}

func (c *Conn) encodeCtlLocked() {
	fr := c.wfr
	for _, f := range c.ctl {
		switch f.kind {
		case ctlSettings:
			fr.WriteSettings(
				http2.Setting{ID: http2.SettingMaxConcurrentStreams, Val: c.cfg.MaxConcurrentStreams},
				http2.Setting{ID: http2.SettingInitialWindowSize, Val: uint32(c.cfg.InitialWindowSize)},
				http2.Setting{ID: http2.SettingMaxFrameSize, Val: c.cfg.MaxFrameSize},
				http2.Setting{ID: http2.SettingMaxHeaderListSize, Val: c.cfg.MaxHeaderListSize},
			)
		case ctlSettingsAck:
			fr.WriteSettingsAck()
		case ctlPingAck:
			fr.WritePing(true, f.ping)
		case ctlRST:
			fr.WriteRSTStream(f.id, f.code)
		case ctlWindowUpdate:
			fr.WriteWindowUpdate(f.id, f.val)
		case ctlGoAway:
			fr.WriteGoAway(f.id, f.code, nil)
		}
	}
	c.ctl = c.ctl[:0]
}

// encodeStreamsLocked takes one frame from each ready stream in turn
// until writeBatch bytes are gathered or nothing can be sent. A batch
// that fills up within a round ends there (its buffer then stays one
// size, not one frame per ready stream), and the streams the round did
// not reach go first in the next batch.
func (c *Conn) encodeStreamsLocked() {
	for len(c.wbuf.b) < writeBatch {
		progress := false
		keep := c.ready[:0]
		i := 0
		for ; i < len(c.ready) && len(c.wbuf.b) < writeBatch; i++ {
			st := c.ready[i]
			if c.canSendLocked(st) && c.encodeFrameLocked(st) {
				progress = true
			}
			if st.hasWorkLocked() {
				keep = append(keep, st)
			} else {
				st.queued = false
			}
		}
		if i < len(c.ready) {
			next := append(c.readyNext[:0], c.ready[i:]...)
			next = append(next, keep...)
			clear(c.ready)
			c.ready, c.readyNext = next, c.ready[:0]
			return
		}
		clear(c.ready[len(keep):])
		c.ready = keep
		if !progress {
			return
		}
	}
}

// encodeFrameLocked writes st's next frame: the 100 (Continue) head, the
// response head, or one DATA frame as large as the windows and the peer's
// frame size allow.
func (c *Conn) encodeFrameLocked(st *Stream) bool {
	if st.interim {
		st.interim = false
		c.encodeHeadLocked(st.id, 100, nil, -1, false, false)
		return true
	}
	if h := st.head; h != nil {
		st.head = nil
		end := h.endStream && len(st.out) == st.outOff
		c.encodeHeadLocked(st.id, h.status, h, h.contentLength, h.serverTokens, end)
		if end {
			c.endSentLocked(st)
		}
		return true
	}
	if !st.headQueued {
		return false
	}
	buffered := int64(len(st.out) - st.outOff)
	if buffered == 0 {
		if st.endQueued && !st.endSent {
			c.appendDataLocked(st.id, nil, true)
			c.endSentLocked(st)
			return true
		}
		return false
	}
	n := min(buffered, int64(c.peerMaxFrame), st.sendWindow, c.sendWindow)
	if n <= 0 {
		return false
	}
	end := st.endQueued && n == buffered
	c.appendDataLocked(st.id, st.out[st.outOff:st.outOff+int(n)], end)
	st.outOff += int(n)
	c.unbufferLocked(int(n))
	st.sent += n
	st.sendWindow -= n
	c.sendWindow -= n
	if st.outOff == len(st.out) {
		st.out, st.outOff = st.out[:0], 0
		if end {
			frameBufs.put(st.out)
			st.out = nil
		}
	}
	st.cond.Broadcast() // room for the handler's next Write
	if end {
		c.endSentLocked(st)
	}
	return true
}

// appendDataLocked appends a DATA frame (RFC 9113 §6.1) straight to the
// write buffer: one copy of the body bytes.
func (c *Conn) appendDataLocked(id uint32, data []byte, end bool) {
	var flags byte
	if end {
		flags = byte(http2.FlagDataEndStream)
	}
	n := len(data)
	c.wbuf.b = append(c.wbuf.b,
		byte(n>>16), byte(n>>8), byte(n),
		byte(http2.FrameData), flags,
		byte(id>>24), byte(id>>16), byte(id>>8), byte(id))
	c.wbuf.b = append(c.wbuf.b, data...)
}

// endSentLocked: END_STREAM is on its way; the stream closes if the
// client's side is done, or is reset with NO_ERROR when the client is
// still sending a body nobody reads (RFC 9113 §8.1).
func (c *Conn) endSentLocked(st *Stream) {
	if c.resetTokens < resetBudgetFactor*int(c.cfg.MaxConcurrentStreams) {
		c.resetTokens++ // a stream served to its end earns a reset back
	}
	st.endSent = true
	st.localDone = true
	st.endQueued = false
	switch {
	case st.remoteDone:
		c.closeStreamLocked(st, false)
	case st.rstAfterEnd:
		st.remoteDone = true
		c.closeStreamLocked(st, true)
		c.queueCtlLocked(ctlFrame{kind: ctlRST, id: st.id, code: http2.ErrCodeNo})
	}
}

// encodeHeadLocked encodes a response head as HEADERS and, past the
// peer's frame size, CONTINUATION frames (RFC 9113 §6.2, §6.10).
func (c *Conn) encodeHeadLocked(id uint32, status int, h *pendingHead, cl int64, tokens, end bool) {
	c.hbuf.b = c.hbuf.b[:0]
	enc := c.enc
	enc.WriteField(hf(":status", strconv.Itoa(status)))
	if h != nil {
		server := http1.ServerName
		if tokens {
			server += "/" + http1.Version
		}
		enc.WriteField(hf("server", server))
		enc.WriteField(hf("date", c.dateLocked()))
		for _, f := range h.fields {
			name := lowerName(f.Name)
			switch name {
			case "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade",
				"content-length", "date", "server":
				// RFC 9113 §8.2.2: connection-specific fields are never
				// sent; the rest is the stream's to write.
				continue
			}
			if hasCRLFNUL(name) || hasCRLFNUL(f.Value) {
				// HPACK carries any byte (RFC 9113 §8.2.1 forbids these):
				// a handler that copied request bytes into a field must
				// not pass them to a client or proxy that would split on
				// them.
				c.log.Debug("h2: response field with CR, LF or NUL not sent", "stream", id, "name", name)
				continue
			}
			enc.WriteField(hf(name, f.Value))
		}
		if cl >= 0 {
			enc.WriteField(hf("content-length", strconv.FormatInt(cl, 10)))
		}
	}
	block := c.hbuf.b
	first := min(len(block), int(c.peerMaxFrame))
	c.wfr.WriteHeaders(http2.HeadersFrameParam{
		StreamID:      id,
		BlockFragment: block[:first],
		EndStream:     end,
		EndHeaders:    first == len(block),
	})
	for rest := block[first:]; len(rest) > 0; {
		m := min(len(rest), int(c.peerMaxFrame))
		c.wfr.WriteContinuation(id, m == len(rest), rest[:m])
		rest = rest[m:]
	}
}

// dateLocked returns the Date value, formatted once a second (RFC 9110
// §6.6.1 has second resolution).
func (c *Conn) dateLocked() string {
	now := time.Now()
	if sec := now.Unix(); sec != c.dateSec || c.date == "" {
		c.dateSec = sec
		c.date = now.UTC().Format(http.TimeFormat)
	}
	return c.date
}

// commonLower holds the lowercase form of the names handlers write, so
// that lowering them allocates nothing (RFC 9113 §8.2.1: names are sent
// in lowercase).
var commonLower = func() map[string]string {
	m := make(map[string]string)
	for _, n := range []string{
		"Accept-Ranges", "Age", "Allow", "Cache-Control", "Content-Disposition",
		"Content-Encoding", "Content-Language", "Content-Location", "Content-Range",
		"Content-Type", "ETag", "Expires", "Last-Modified", "Link", "Location",
		"Retry-After", "Set-Cookie", "Status", "Vary", "WWW-Authenticate",
		"X-Content-Type-Options", "X-Powered-By",
	} {
		m[n] = strings.ToLower(n)
	}
	return m
}()

func lowerName(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			if l, ok := commonLower[s]; ok {
				return l
			}
			return strings.ToLower(s)
		}
	}
	return s
}
