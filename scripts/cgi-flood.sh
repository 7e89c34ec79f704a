#!/usr/bin/env bash
# cgi-flood.sh — many concurrent requests to a slow CGI program, on
# loopback (issue 14: 3,000 of them left 2,451 processes alive and 155
# requests got 502 "pipe2: too many open files"; cgi_max_processes bounds
# them now, SPEC §5).
#
# Usage:   scripts/cgi-flood.sh [N]      (run from anywhere in the repo)
#          N concurrent requests, default 3000 (at most 10000).
#
# Environment:
#   SLEEP=2          seconds the CGI program sleeps before answering
#   CGI_MAX=         cgi_max_processes to configure (default: the server's)
#   WEBSERV=         a webserv binary to test instead of building the repo's
#                    (to measure an older build the same way)
#
# What it does:
#   1. go build ./cmd/webserv (unless WEBSERV is set) and a small Go client
#      into a temporary directory;
#   2. writes a config with one location (/cgi/) whose sleep.sh prints a
#      header, sleeps SLEEP seconds and prints "done";
#   3. starts the server on 127.0.0.1:<free port>, reads its VmRSS;
#   4. the client opens N connections, then sends one GET on each at once
#      and reads the answers (each with a 120 s deadline); meanwhile the
#      script samples, every 100 ms, the server's descendant processes
#      (the CGI programs and their children), their summed RSS, and the
#      server's own VmRSS;
#   5. prints the status counts (and errors), the peak process count, the
#      peak RSS of the programs, the server's VmRSS before, at peak and
#      after, and the processes left once the client is done; stops the
#      server (SIGTERM) and removes everything it created.
#
# Exit status: 0 when no request failed at the transport level, none got a
# 502, and no CGI process was left behind; 1 otherwise.
#
# Requires bash, go, coreutils, procps (ps), Linux /proc. Uses up to N
# client sockets and as many server ones: both processes raise their own
# open-files limit (Go does so at start) up to the hard limit.
set -euo pipefail

n=${1:-3000}
sleep_s=${SLEEP:-2}
cgi_max=${CGI_MAX:-}
if ! [[ $n =~ ^[0-9]+$ ]] || ((n < 1 || n > 10000)); then
	echo "N must be from 1 to 10000" >&2
	exit 2
fi
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ws_init cgi-flood

if [[ -n ${WEBSERV:-} ]]; then
	cp "$WEBSERV" "$tmp/webserv"
else
	ws_build
fi

mkdir -p "$tmp/client" "$tmp/www/cgi"
cat >"$tmp/client/main.go" <<'EOF'
// Command flood sends one GET on each of N connections, all at once, and
// counts the answers by status.
package main

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"os"
	"sort"
	"strconv"
	"sync"
	"time"
)

func main() {
	n, _ := strconv.Atoi(os.Args[1])
	addr, path := os.Args[2], os.Args[3]
	var (
		mu     sync.Mutex
		counts = map[string]int{}
		wg     sync.WaitGroup
	)
	count := func(k string) { mu.Lock(); counts[k]++; mu.Unlock() }
	conns := make([]net.Conn, n)
	for i := range conns {
		c, err := net.DialTimeout("tcp", addr, 30*time.Second)
		if err != nil {
			count("error: dial: " + err.Error())
			continue
		}
		conns[i] = c
	}
	start := time.Now()
	for _, c := range conns {
		if c == nil {
			continue
		}
		wg.Add(1)
		go func(c net.Conn) {
			defer wg.Done()
			defer c.Close()
			c.SetDeadline(time.Now().Add(120 * time.Second))
			if _, err := fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: flood\r\nConnection: close\r\n\r\n", path); err != nil {
				count("error: write: " + err.Error())
				return
			}
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				count("error: read: " + err.Error())
				return
			}
			resp.Body.Close()
			k := "status " + strconv.Itoa(resp.StatusCode)
			if ra := resp.Header.Get("Retry-After"); ra != "" {
				k += " (Retry-After: " + ra + ")"
			}
			count(k)
		}(c)
	}
	wg.Wait()
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Printf("  %-40s %d\n", k, counts[k])
	}
	fmt.Printf("  all answered in %.1fs\n", time.Since(start).Seconds())
}
EOF
echo "building the client"
(cd "$tmp/client" && go mod init flood >/dev/null 2>&1 && go build -o flood .)

printf '#!/bin/sh\nsleep %s\nprintf '"'"'Content-Type: text/plain\\n\\ndone\\n'"'"'\n' "$sleep_s" >"$tmp/www/cgi/sleep.sh"
chmod +x "$tmp/www/cgi/sleep.sh"

write_conf() {
	{
		echo "error_log stderr error;"
		[[ -z $cgi_max ]] || echo "cgi_max_processes $cgi_max;"
		cat <<EOF
server {
    listen 127.0.0.1:$1;
    root www;
    location /cgi/ {
        cgi .sh;
    }
}
EOF
	} >"$tmp/webserv.conf"
}
ws_start write_conf

rss_kib() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }

# descendants: "COUNT RSS_KIB" of every process below the server.
descendants() {
	ps -e -o pid=,ppid=,rss= | awk -v root="$pid" '
		{ parent[$1] = $2; rss[$1] = $3 }
		END {
			for (p in parent) {
				q = parent[p]
				while (q != "" && q != 0 && q != root && q in parent) q = parent[q]
				if (q == root) { n++; r += rss[p] }
			}
			printf "%d %d\n", n, r
		}'
}

rss0=$(rss_kib "$pid")
echo "server pid $pid on 127.0.0.1:$port, cgi_max_processes ${cgi_max:-default}; VmRSS before: $rss0 KiB"
echo "$n concurrent GET /cgi/sleep.sh (sleeps ${sleep_s}s):"

"$tmp/client/flood" "$n" "127.0.0.1:$port" /cgi/sleep.sh >"$tmp/client.out" &
client=$!
max_procs=0 max_rss=0 max_srv=0
while kill -0 "$client" 2>/dev/null; do
	read -r procs rss < <(descendants)
	srv=$(rss_kib "$pid")
	((procs > max_procs)) && max_procs=$procs
	((rss > max_rss)) && max_rss=$rss
	((srv > max_srv)) && max_srv=$srv
	sleep 0.1
done
wait "$client" || true
cat "$tmp/client.out"
read -r left _ < <(descendants)
rss1=$(rss_kib "$pid")

echo "peak processes below the server (programs and children): $max_procs"
echo "peak RSS of those: $((max_rss / 1024)) MiB"
echo "server VmRSS before/peak/after: $((rss0 / 1024)) / $((max_srv / 1024)) / $((rss1 / 1024)) MiB"
echo "processes left below the server after: $left"
if grep -qv "^webserv: listening" "$tmp/server.log"; then
	echo "server log (first 5 lines):"
	grep -v "^webserv: listening" "$tmp/server.log" | head -5 | cut -c1-200
fi

if grep -q '^  error' "$tmp/client.out" || grep -q '^  status 502' "$tmp/client.out" || ((left > 0)); then
	exit 1
fi
