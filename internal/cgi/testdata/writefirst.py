#!/usr/bin/env python3
# Writes 1 MiB before reading stdin: a host that fills stdin before
# reading stdout would deadlock with it.
import sys
out = sys.stdout.buffer
out.write(b"Content-Type: application/octet-stream\n\n")
out.write(b"x" * (1 << 20))
out.flush()
n = len(sys.stdin.buffer.read())
out.write(b"\nread %d\n" % n)
