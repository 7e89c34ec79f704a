#!/usr/bin/env bash
# slowhttptest.sh — slow-client attack against webserv with slowhttptest
# (issue 7), slowloris mode by default: many connections that send their
# headers a few bytes at a time and never finish them. webserv runs with
# its default timeouts (client_header_timeout 10s), so every slow
# connection is cut off with 408 while the probe connection slowhttptest
# opens now and then must still be answered ("service available: YES").
#
# Usage:   scripts/slowhttptest.sh              (run from anywhere in the repo)
#          DURATION=10 CONNECTIONS=500 scripts/slowhttptest.sh
#
# Environment:
#   DURATION     test length in seconds, slowhttptest -l (default 60)
#   CONNECTIONS  slow connections to open, -c (default 1000)
#   RATE         new connections per second, -r (default 200)
#   INTERVAL     seconds between the follow-up bytes of a connection, -i
#                (default 5)
#   MODE         H slowloris (default), B slow body (R-U-Dead-Yet), X slow
#                read
#
# What it does:
#   1. installs slowhttptest with apt-get when it is missing (Debian package
#      `slowhttptest`; needs root or sudo);
#   2. go build ./cmd/webserv into a temporary directory, writes a site with
#      a page and, for MODE=B, a location accepting POST uploads;
#   3. starts the binary on 127.0.0.1:<free port> and waits until it answers;
#   4. runs slowhttptest and prints its final report and a one-line verdict
#      (slowhttptest's own "service available" flag at the end of the run,
#      and whether any probe found the service unavailable during it);
#   5. checks the server still answers a normal request, then stops it.
#
# Exit status: 0 when the service was available throughout and the server
# survived; 1 otherwise.
set -euo pipefail

duration=${DURATION:-60}
connections=${CONNECTIONS:-1000}
rate=${RATE:-200}
interval=${INTERVAL:-5}
mode=${MODE:-H}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ws_init slowhttptest

ws_need slowhttptest

# slowhttptest opens one descriptor per connection.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if (($(ulimit -n) < connections + 100)); then
	connections=$(($(ulimit -n) - 100))
	echo "ulimit -n is $(ulimit -n): using $connections connections"
fi

ws_build
mkdir -p "$tmp/www" "$tmp/store"
echo '<!DOCTYPE html><html><body><p>slow clients are not welcome</p></body></html>' >"$tmp/www/index.html"
head -c 1048576 /dev/zero >"$tmp/www/big.bin"

write_conf() { ws_upload_conf "GET POST" 100m "$1"; }
ws_start write_conf

case $mode in
H) args=(-H -u "http://127.0.0.1:$port/") ;;
B) args=(-B -t POST -s 8192 -u "http://127.0.0.1:$port/up/slow.bin") ;;
X) args=(-X -k 3 -n 5 -w 10 -y 20 -z 32 -u "http://127.0.0.1:$port/big.bin") ;;
*)
	echo "MODE must be H, B or X" >&2
	exit 2
	;;
esac
echo "server pid $pid on 127.0.0.1:$port; slowhttptest -$mode -c $connections -r $rate -i $interval -l $duration"
slowhttptest "${args[@]}" -c "$connections" -r "$rate" -i "$interval" -x 24 -p 3 -l "$duration" \
	-g -o "$tmp/report" >"$tmp/slow.out" 2>&1 || true

# The report repeats a status block every second; the last one is the
# verdict at the end, and any "NO" along the way means a probe failed.
sed 's/\x1b\[[0-9;]*[A-Za-z]//g' "$tmp/slow.out" >"$tmp/slow.txt"
awk '/test type:/ { on = 1 } on { print } /probe connection timeout:/ && on { exit }' "$tmp/slow.txt"
final=$(grep -E '^(slow HTTP test status on|closed:|pending:|connected:|service available:)' "$tmp/slow.txt" | tail -n 5)
echo "$final"
grep -E 'Test ended|Exit status' "$tmp/slow.txt" | tail -n 2
unavailable=$(grep -cE 'service available:[[:space:]]+NO' "$tmp/slow.txt" || true)
max_connected=$(awk -F: '/^connected:/ { gsub(/ /, "", $2); if ($2 + 0 > m) m = $2 + 0 } END { print m + 0 }' "$tmp/slow.txt")
echo "verdict: service unavailable in $unavailable of the per-second samples; at most $max_connected slow connections held at once"

fail=0
((unavailable == 0)) || fail=1
if ! kill -0 "$pid" 2>/dev/null; then
	echo "the server died" >&2
	fail=1
else
	code=$(curl -s --noproxy '*' -m 10 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/" || echo none)
	echo "after the test: GET / answered $code"
	[[ $code == 200 ]] || fail=1
fi
if ((fail)); then
	echo "FAIL"
	tail -n 20 "$tmp/server.log" >&2
	exit 1
fi
echo "ok: the service stayed available"
