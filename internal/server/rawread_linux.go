package server

// canRawRead: a plain TCP connection is read through rawio.Reader, with
// read(2) made by RawSyscall (see internal/rawio for the cost it saves).
const canRawRead = true
