#!/usr/bin/env bash
# upload-rss.sh — upload throughput and server peak memory for one big
# streamed upload (issue 4: "a 10 GiB upload must cost the server no more
# memory than a 10 KiB one"; SPEC §4).
#
# Usage:   scripts/upload-rss.sh [SIZE]        (run from anywhere in the repo)
#          SIZE is a `head -c` size, default 1G.
#
# What it does:
#   1. go build ./cmd/webserv into a temporary directory;
#   2. writes a config there with one location (/up/) that has an
#      upload_store and client_max_body_size 0 (no limit);
#   3. starts the binary on 127.0.0.1:<free port> and waits until it answers;
#   4. reads VmHWM (peak RSS) and VmRSS from /proc/PID/status;
#   5. uploads SIZE bytes twice with curl, timing each:
#        chunked: `head -c SIZE /dev/zero | curl -T - URL`
#                 (stdin: Transfer-Encoding: chunked, RFC 9112 §7.1);
#        length:  `curl -T FILE URL` from a sparse file made by truncate(1)
#                 (Content-Length, RFC 9112 §6.2; no SIZE bytes written to
#                 disk on the client side);
#      after each it reads VmHWM again, checks the stored file's size and
#      that it holds only zero bytes (cmp against /dev/zero), and deletes it
#      with DELETE;
#   6. prints MiB/s and the RSS growth (VmHWM after - VmHWM before), stops
#      the server (SIGTERM) and removes everything it created.
#
# Exit status: 0 when every upload was stored intact and peak RSS grew by
# less than LIMIT_KIB (default 16384 = 16 MiB); 1 otherwise.
#
# Requires bash, go, curl, coreutils, Linux /proc. The stored file lands in
# the temporary directory (TMPDIR), which needs SIZE bytes free.
set -euo pipefail

size=${1:-1G}
limit_kib=${LIMIT_KIB:-16384}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ws_init upload-rss


ws_build
mkdir "$tmp/www" "$tmp/store"
bytes=$(numfmt --from=iec "$size")

write_conf() { ws_upload_conf "GET POST PUT DELETE" 0 "$1"; }
ws_start write_conf
url="http://127.0.0.1:$port/up/big.bin"

hwm0=$(status_kib VmHWM)
rss0=$(status_kib VmRSS)
echo "server pid $pid on 127.0.0.1:$port: before: VmHWM ${hwm0} KiB, VmRSS ${rss0} KiB"

truncate -s "$size" "$tmp/sparse.bin"
fail=0
for mode in chunked length; do
	start=$(date +%s.%N)
	if [[ $mode == chunked ]]; then
		code=$(head -c "$size" /dev/zero |
			curl -sS --noproxy '*' -T - -o /dev/null -w '%{http_code}' "$url")
	else
		code=$(curl -sS --noproxy '*' -T "$tmp/sparse.bin" -o /dev/null -w '%{http_code}' "$url")
	fi
	end=$(date +%s.%N)
	hwm=$(status_kib VmHWM)
	rss=$(status_kib VmRSS)
	stored=$(stat -c %s "$tmp/store/big.bin" 2>/dev/null || echo missing)
	ok=yes
	if [[ $code != 201 || $stored != "$bytes" ]] || ! cmp -s -n "$bytes" "$tmp/store/big.bin" /dev/zero; then
		ok=no
		fail=1
	fi
	growth=$((hwm - hwm0))
	if ((growth >= limit_kib)); then
		fail=1
	fi
	awk -v m="$mode" -v b="$bytes" -v s="$start" -v e="$end" -v c="$code" -v st="$stored" -v ok="$ok" \
		-v h="$hwm" -v r="$rss" -v g="$growth" 'BEGIN {
		t = e - s
		printf "%-7s %d bytes in %.2f s = %.0f MiB/s; status %s, stored %s bytes, intact: %s\n", m, b, t, b / t / 1048576, c, st, ok
		printf "        after: VmHWM %d KiB, VmRSS %d KiB; peak RSS growth %d KiB (%.1f MiB)\n", h, r, g, g / 1024
	}'
	del=$(curl -sS --noproxy '*' -X DELETE -o /dev/null -w '%{http_code}' "$url")
	if [[ $del != 204 ]]; then
		echo "DELETE answered $del" >&2
		fail=1
	fi
done

if ((fail)); then
	echo "FAIL (limit: peak RSS growth < $limit_kib KiB, file stored intact)"
	cat "$tmp/server.log" >&2
	exit 1
fi
echo "ok: peak RSS grew by less than $limit_kib KiB"
