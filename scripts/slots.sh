#!/usr/bin/env bash
# slots.sh — slot exhaustion (issue 14 item 6): SOCKETS loopback sockets
# connect to webserv and never send a byte, far more than max_connections
# allows, while a normal client (a new connection per request, as curl or
# a browser's first request) measures how long its answers take.
#
# Usage:   scripts/slots.sh                    (run from anywhere in the repo)
#          SOCKETS=5000 SLOTS=500 scripts/slots.sh
#          WEBSERV=/path/to/webserv scripts/slots.sh   (an already built binary)
#
# Environment:
#   SOCKETS   silent sockets to open (default 20000)
#   SLOTS     the server's max_connections (default 1000)
#   REQUESTS  normal requests to time while the sockets are open (default 50)
#   HOLD      seconds the silent sockets stay open at most (default 60): up
#             to a third of it to connect them, up to half of it to time
#             the normal requests
#   WEBSERV   a webserv binary to test instead of building ./cmd/webserv
#
# What it does:
#   1. builds ./cmd/webserv (or copies WEBSERV) into a temporary directory
#      and starts it on 127.0.0.1:<free port> with max_connections SLOTS,
#      client_header_timeout 60s and a status location;
#   2. times REQUESTS normal requests with nothing else open (baseline);
#   3. opens SOCKETS silent connections from two helper processes (python3;
#      the sockets come from 127.0.0.2-127.0.0.11, so they take no ports from
#      127.0.0.1), and reports how long opening them took;
#   4. while they stay open, times REQUESTS normal requests, each with a 5 s
#      limit (and all within HOLD/2): how many failed and the latency
#      percentiles;
#   5. prints the server's reclaim counter, closes everything, stops the
#      server.
# Everything stays on loopback; the raised descriptor limit (ulimit -n)
# applies to this script's processes only; the whole run is bounded by
# HOLD plus the build.
#
# Exit status: 0 when every normal request was answered; 1 otherwise.
set -euo pipefail

sockets=${SOCKETS:-20000}
slots=${SLOTS:-1000}
requests=${REQUESTS:-50}
hold=${HOLD:-60}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ws_init slots

command -v python3 >/dev/null || {
	echo "python3 is needed" >&2
	exit 1
}
# Each helper holds half the sockets; the server holds SLOTS and a few more.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if (($(ulimit -n) < sockets / 2 + 100)); then
	echo "ulimit -n is $(ulimit -n) (hard limit $(ulimit -Hn)): too low for $sockets sockets in two processes" >&2
	exit 1
fi

if [[ -n ${WEBSERV:-} ]]; then
	cp "$WEBSERV" "$tmp/webserv"
else
	ws_build
fi
mkdir -p "$tmp/www"
echo 'hello' >"$tmp/www/index.html"
write_conf() {
	cat >"$tmp/webserv.conf" <<EOF
error_log stderr error;
max_connections $slots;
server {
    listen 127.0.0.1:$1;
    root www;
    client_header_timeout 60s;
    location = /status { status; }
}
EOF
}
ws_start write_conf
echo "server pid $pid on 127.0.0.1:$port, max_connections $slots"

# The Python helper: "open N FIRST_IP HOLD PORT" connects N sockets, prints
# a line once they are connected (or HOLD/3 has passed) and keeps them
# until HOLD has passed or it is killed; "time N PORT BUDGET" times up to N
# requests within BUDGET seconds.
cat >"$tmp/helper.py" <<'EOF'
import select, socket, statistics, sys, time

def open_silent(n, first, hold, port):
    socks, t0 = [], time.monotonic()
    base = first.rsplit(".", 1)[0]
    last = int(first.rsplit(".", 1)[1])
    for i in range(n):
        s = socket.socket()
        s.setsockopt(socket.IPPROTO_IP, 24, 1)  # IP_BIND_ADDRESS_NO_PORT
        s.bind((base + "." + str(last + i % 5), 0))
        s.setblocking(False)
        s.connect_ex(("127.0.0.1", port))
        socks.append(s)
    # Connected once writable (the kernel completes the handshake even when
    # the server has not accepted yet, up to the listen backlog).
    poll, byfd = select.poll(), {s.fileno(): s for s in socks}
    for fd in byfd:
        poll.register(fd, select.POLLOUT)
    deadline, connected, left = t0 + hold / 3, 0, len(socks)
    while left and time.monotonic() < deadline:
        for fd, _ in poll.poll(1000):
            poll.unregister(fd)
            left -= 1
            if byfd[fd].getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
                connected += 1
    print(f"{connected} of {n} connected in {time.monotonic() - t0:.2f} s", flush=True)
    time.sleep(max(0, t0 + hold - time.monotonic()))

def time_requests(n, port, budget):
    lat, fails = [], 0
    req = b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    end = time.monotonic() + budget
    for _ in range(n):
        if time.monotonic() > end:
            print("time budget spent", flush=True)
            break
        t0 = time.monotonic()
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
                s.sendall(req)
                data = b""
                while b"\r\n\r\n" not in data:
                    b = s.recv(4096)
                    if not b:
                        break
                    data += b
                if not data.startswith(b"HTTP/1.1 200"):
                    raise OSError("no 200: %r" % data[:40])
            lat.append((time.monotonic() - t0) * 1000)
        except OSError:
            fails += 1
        time.sleep(0.05)
    if lat:
        q = statistics.quantiles(lat, n=10) if len(lat) > 1 else lat * 9
        print(f"{len(lat)} answered, {fails} failed; latency ms: min {min(lat):.2f} median {statistics.median(lat):.2f} p90 {q[8]:.2f} max {max(lat):.2f}")
    else:
        print(f"0 answered, {fails} failed")
    return fails

if sys.argv[1] == "open":
    open_silent(int(sys.argv[2]), sys.argv[3], float(sys.argv[4]), int(sys.argv[5]))
else:
    sys.exit(1 if time_requests(int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])) else 0)
EOF

echo "baseline, nothing else open:"
python3 "$tmp/helper.py" time "$requests" "$port" 60 || true

half=$((sockets / 2))
h1= h2=
trap 'kill $h1 $h2 2>/dev/null || true; ws_cleanup' EXIT
timeout $((hold + 5)) python3 "$tmp/helper.py" open "$half" 127.0.0.2 "$hold" "$port" >"$tmp/open1.out" 2>&1 &
h1=$!
timeout $((hold + 5)) python3 "$tmp/helper.py" open $((sockets - half)) 127.0.0.7 "$hold" "$port" >"$tmp/open2.out" 2>&1 &
h2=$!
for _ in $(seq 1 $((hold * 5))); do # up to HOLD/2
	[[ -s $tmp/open1.out && -s $tmp/open2.out ]] && break
	sleep 0.1
done
echo "silent sockets: $(cat "$tmp/open1.out"); $(cat "$tmp/open2.out")"
echo "with $sockets silent sockets open:"
fail=0
python3 "$tmp/helper.py" time "$requests" "$port" $((hold / 2)) || fail=1
reclaimed=$(curl -s --noproxy '*' -m 5 "http://127.0.0.1:$port/status" | awk '/^webserv_connections_reclaimed_total/ { print $2 }' || true)
echo "idle connections reclaimed by the server: ${reclaimed:-n/a}"
kill "$h1" "$h2" 2>/dev/null || true
wait "$h1" "$h2" 2>/dev/null || true
if ((fail)); then
	echo "FAIL: normal requests failed while the slots were held"
	exit 1
fi
echo "ok: every normal request was answered"
