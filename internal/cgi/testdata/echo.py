#!/usr/bin/env python3
# Reads all of stdin, then writes it back (large both ways).
import sys
data = sys.stdin.buffer.read()
out = sys.stdout.buffer
out.write(b"Content-Type: application/octet-stream\r\n")
out.write(b"Content-Length: %d\r\n\r\n" % len(data))
out.write(data)
