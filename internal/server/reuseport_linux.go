package server

// soReusePort is SO_REUSEPORT (Linux, asm-generic/socket.h); the syscall
// package does not name it on every architecture.
const soReusePort = 0xf
