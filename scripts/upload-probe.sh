#!/usr/bin/env bash
# upload-probe.sh — server CPU spent choosing free names for multipart
# uploads whose parts all carry one filename, into a store that already
# holds many numbered variants of it (issue 14 item 3).
#
# Usage:   scripts/upload-probe.sh [EXISTING [PARTS [REQUESTS]]]
#          EXISTING  same.bin plus same-1.bin … same-EXISTING.bin are
#                    created in the store first (default 10000);
#          PARTS     file parts per request, all named same.bin, 120 bytes
#                    each (default 1000, the most one request may store);
#          REQUESTS  how many such requests are sent one after the other
#                    (default 3).
#
# What it does: builds ./cmd/webserv, starts it on 127.0.0.1:<free port>
# with one upload location, fills the store, then POSTs the multipart body
# REQUESTS times with curl (--max-time 120 each) and prints, per request,
# the status and the server's CPU seconds (utime + stime from
# /proc/PID/stat) the request cost. Loopback only; everything it creates
# is removed on exit.
#
# Requires bash, go, curl, python3, Linux /proc.
set -euo pipefail

existing=${1:-10000}
parts=${2:-1000}
requests=${3:-3}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ws_init upload-probe

hz=$(getconf CLK_TCK)

ws_build
mkdir "$tmp/www" "$tmp/store"
write_conf() { ws_upload_conf "GET POST" 0 "$1"; }
ws_start write_conf
echo "server pid $pid on 127.0.0.1:$port"

python3 - "$tmp/store" "$existing" "$parts" "$tmp/body" <<'EOF'
import os, sys
store, existing, parts, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
open(os.path.join(store, "same.bin"), "w").close()
for i in range(1, existing + 1):
    open(os.path.join(store, "same-%d.bin" % i), "w").close()
with open(out, "wb") as f:
    for i in range(parts):
        f.write(b'--XBOUNDARYX\r\nContent-Disposition: form-data; name="f"; filename="same.bin"\r\n'
                b'Content-Type: application/octet-stream\r\n\r\n' + (b'%-118d' % i)[:118] + b'\r\n')
    f.write(b'--XBOUNDARYX--\r\n')
EOF
echo "store: $(ls -f "$tmp/store" | wc -l) entries; body: $(stat -c %s "$tmp/body") bytes, $parts parts named same.bin"

for r in $(seq 1 "$requests"); do
	before=$(cpu_ticks)
	start=$(date +%s.%N)
	code=$(curl -sS --noproxy '*' --max-time 120 -o /dev/null -w '%{http_code}' \
		-H 'Content-Type: multipart/form-data; boundary=XBOUNDARYX' \
		--data-binary "@$tmp/body" "http://127.0.0.1:$port/up/" || echo timeout)
	end=$(date +%s.%N)
	after=$(cpu_ticks)
	awk -v r="$r" -v c="$code" -v t0="$before" -v t1="$after" -v hz="$hz" -v s="$start" -v e="$end" \
		-v n="$(ls -f "$tmp/store" | wc -l)" 'BEGIN {
		printf "request %d: status %s, server CPU %.2f s, wall %.2f s, store now %d entries\n", r, c, (t1 - t0) / hz, e - s, n
	}'
done
