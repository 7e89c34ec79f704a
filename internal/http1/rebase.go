package http1

// Rebase makes every slice of r that points into old point at the same
// offset in dst instead, where dst holds a copy of old. The connection uses
// it to keep a request head valid while the read buffer is refilled with
// the body.
func (r *Request) Rebase(old, dst []byte) {
	re := func(s []byte) []byte {
		if s == nil {
			return nil
		}
		off := cap(old) - cap(s) // s was sliced from old, so it ends at old's end of capacity
		if off < 0 || off+len(s) > len(old) {
			return s // not from old (e.g. a constant)
		}
		return dst[off : off+len(s) : off+len(s)]
	}
	r.Method = re(r.Method)
	r.Target = re(r.Target)
	r.Path = re(r.Path)
	r.Query = re(r.Query)
	r.Host = re(r.Host)
	for i := range r.Fields {
		r.Fields[i].Name = re(r.Fields[i].Name)
		r.Fields[i].Value = re(r.Fields[i].Value)
	}
}
