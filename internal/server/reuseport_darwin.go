package server

import "syscall"

// soReusePort is SO_REUSEPORT (sys/socket.h). macOS lets several sockets
// bind the address with it but, unlike Linux, does not promise to spread
// connections over them (README, Platforms).
const soReusePort = syscall.SO_REUSEPORT
