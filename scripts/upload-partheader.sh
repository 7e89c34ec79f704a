#!/usr/bin/env bash
# upload-partheader.sh — server memory under concurrent multipart uploads
# whose part header is huge (issue 14 item 4: mime/multipart alone accepts
# part headers up to 10 MB).
#
# Usage:   scripts/upload-partheader.sh [CONCURRENT [HEADER_BYTES]]
#          CONCURRENT    uploads sent at once (default 40);
#          HEADER_BYTES  length of one X-Pad header line in the part's
#                        header (default 9000000).
#
# What it does: builds ./cmd/webserv, starts it on 127.0.0.1:<free port>
# with one upload location (client_max_body_size 100m, so the body limit
# does not decide), reads VmRSS, sends CONCURRENT POSTs of the same body
# at once with curl (--max-time 60 each), then prints their statuses, the
# server's VmHWM (peak RSS) and VmRSS, and what the store holds. Loopback
# only; everything it creates is removed on exit.
#
# Requires bash, go, curl, python3, Linux /proc.
set -euo pipefail

concurrent=${1:-40}
header=${2:-9000000}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ws_init upload-partheader


ws_build
mkdir "$tmp/www" "$tmp/store"
write_conf() { ws_upload_conf "GET POST" 100m "$1"; }
ws_start write_conf

python3 - "$header" "$tmp/body" <<'EOF'
import sys
n, out = int(sys.argv[1]), sys.argv[2]
with open(out, "wb") as f:
    f.write(b'--XBOUNDARYX\r\nContent-Disposition: form-data; name="f"; filename="a.bin"\r\n'
            b'X-Pad: ' + b'a' * n + b'\r\n\r\nhello\r\n--XBOUNDARYX--\r\n')
EOF
echo "server pid $pid on 127.0.0.1:$port: before: VmHWM $(status_kib VmHWM) KiB, VmRSS $(status_kib VmRSS) KiB"
echo "sending $concurrent uploads at once, part header line of $header bytes"

clients=()
for i in $(seq 1 "$concurrent"); do
	curl -sS --noproxy '*' --max-time 60 -o /dev/null -w '%{http_code}\n' \
		-H 'Content-Type: multipart/form-data; boundary=XBOUNDARYX' \
		--data-binary "@$tmp/body" "http://127.0.0.1:$port/up/" >"$tmp/code.$i" 2>/dev/null || echo "curl failed" >"$tmp/code.$i" &
	clients+=($!)
done
wait "${clients[@]}" || true
echo "statuses: $(cat "$tmp"/code.* | sort | uniq -c | awk '{ printf "%s x%s  ", $2, $1 }')"
echo "after: VmHWM $(status_kib VmHWM) KiB, VmRSS $(status_kib VmRSS) KiB"
echo "store holds $(ls -A "$tmp/store" | wc -l) entries"
