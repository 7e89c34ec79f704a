package static

import "syscall"

const sysStat = syscall.SYS_NEWFSTATAT
