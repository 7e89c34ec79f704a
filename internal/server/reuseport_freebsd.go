package server

// soReusePort is SO_REUSEPORT_LB (FreeBSD 12 and later, sys/socket.h),
// which the syscall package does not name: plain SO_REUSEPORT lets
// several sockets bind the address but does not spread connections over
// them; SO_REUSEPORT_LB does, as SO_REUSEPORT does on Linux.
const soReusePort = 0x10000
