#!/usr/bin/env bash
# listing-rss.sh — server memory and CPU for directory listings of a big
# directory (issue 14 item 8: one listing of 100,000 entries was 15 MB and
# 0.43 s of CPU; 20 at once peaked at 1.43 GB RSS).
#
# Usage:   scripts/listing-rss.sh [ENTRIES [CONCURRENT]]   (from anywhere in the repo)
#          defaults: 100000 entries, 20 concurrent listings.
#
# What it does:
#   1. go build ./cmd/webserv into a temporary directory;
#   2. creates there a directory of ENTRIES empty entries (1% of them
#      subdirectories, the rest files) and a config that lists it
#      (autoindex on) on 127.0.0.1:<free port>;
#   3. GETs the listing once with curl to warm up, checks it names every
#      entry, then three more times one after another, reading the
#      server's CPU time (utime+stime in /proc/PID/stat) around them;
#   4. GETs it CONCURRENT times at once, then reads VmHWM (peak RSS) from
#      /proc/PID/status;
#   5. prints the listing's size, CPU seconds per listing and peak RSS,
#      stops the server (SIGTERM) and removes everything it created.
#
# Every curl is bounded by --max-time; only loopback is used. The
# directory needs ENTRIES inodes in TMPDIR (no data blocks).
#
# Exit status: 0 when every listing was complete; 1 otherwise.
#
# Requires bash, go, curl, coreutils, Linux /proc.
set -euo pipefail

entries=${1:-100000}
concurrent=${2:-20}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ws_init listing-rss


ws_build
dirs=$((entries / 100))
files=$((entries - dirs))
echo "creating $dirs directories and $files files"
mkdir -p "$tmp/www/big"
(cd "$tmp/www/big" && { ((dirs == 0)) || seq -f 'dir-%07g' 1 "$dirs" | xargs mkdir; } &&
	seq -f 'file-%07g.txt' 1 "$files" | xargs touch)

write_conf() {
	cat >"$tmp/webserv.conf" <<EOF
error_log stderr warn;
server {
    listen 127.0.0.1:$1;
    root www;
    location /big/ { autoindex on; }
}
EOF
}
ws_start write_conf
url="http://127.0.0.1:$port/big/"
get() { curl -sS --noproxy '*' --max-time 120 -o "$1" -w '%{http_code}' "$url"; }

fail=0
code=$(get "$tmp/page.html")
bytes=$(stat -c %s "$tmp/page.html")
links=$(grep -c '<tr><td><a href="[df]' "$tmp/page.html" || true)
echo "listing: status $code, $bytes bytes, $links entries"
if [[ $code != 200 || $links != "$entries" ]]; then
	echo "FAIL: want status 200 and $entries entries" >&2
	fail=1
fi

hwm0=$(status_kib VmHWM)
t0=$(cpu_ticks)
for _ in 1 2 3; do
	get /dev/null >/dev/null
done
t1=$(cpu_ticks)
hwm1=$(status_kib VmHWM)

codes=$tmp/codes
clients=()
for i in $(seq 1 "$concurrent"); do
	get /dev/null >"$codes.$i" &
	clients+=($!)
done
wait "${clients[@]}" # not a bare wait: the server is a background job too
for i in $(seq 1 "$concurrent"); do
	if [[ $(cat "$codes.$i") != 200 ]]; then
		echo "FAIL: concurrent listing $i answered $(cat "$codes.$i")" >&2
		fail=1
	fi
done
hwm2=$(status_kib VmHWM)
rss2=$(status_kib VmRSS)

awk -v tck="$(getconf CLK_TCK)" -v t0="$t0" -v t1="$t1" -v h0="$hwm0" -v h1="$hwm1" -v h2="$hwm2" -v r2="$rss2" \
	-v n="$entries" -v c="$concurrent" 'BEGIN {
	printf "CPU per listing (mean of 3 sequential): %.3f s\n", (t1 - t0) / tck / 3
	printf "peak RSS (VmHWM): after warm-up %.1f MiB, after 3 sequential %.1f MiB, after %d concurrent %.1f MiB (VmRSS now %.1f MiB)\n", h0 / 1024, h1 / 1024, c, h2 / 1024, r2 / 1024
}'
if ((fail)); then
	cat "$tmp/server.log" >&2
	exit 1
fi
echo "ok: $concurrent concurrent listings of $entries entries complete"
