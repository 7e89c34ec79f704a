#!/usr/bin/env bash
# bench/run.sh: webserv against nginx (and lighttpd for CGI) on 127.0.0.1.
#
# Installs nginx, wrk and lighttpd from Debian when missing, builds webserv
# and the load client bench/gobench, writes equivalent configurations for
# webserv and nginx (nginx: worker_processes 2, sendfile on, access_log off)
# serving the same files from one temporary directory, warms both, runs
# every scenario alternately (webserv, nginx, webserv, nginx, ...) for
# ROUNDS rounds and prints the median of each figure and the ratio
# webserv/reference. Every process it starts is stopped on exit.
#
#   bench/run.sh                        # defaults: ROUNDS=3 DURATION=5
#   ROUNDS=1 DURATION=2 bench/run.sh    # smoke run
#   SCENARIOS="1 5" bench/run.sh        # a subset
#
# Environment: ROUNDS (3), DURATION (seconds per run, 5), WARMUP (seconds,
# 2), THREADS (wrk threads, 2), IDLE_CONNS (10000), IDLE_SETTLE (seconds
# from the last idle connection to the RSS reading, 4), SCENARIOS ("1 2 3
# 4 5 6 7 8 9 10 11"), RATES (scenario 11's request rates, "10000
# 20000"), BASE_PORT (first of 13 consecutive ports, 18480), KEEP_TMP=1
# to keep the temporary directory (configurations, logs, raw wrk output).
#
# Scenarios:
#   1  1 KiB file, keep-alive, 50 and 256 connections: req/s, p50, p99,
#      server CPU per request (utime+stime from /proc/PID/stat, summed over
#      nginx's processes)
#   2  the same with "Connection: close" (a TCP connection per request)
#   3  404 for a missing file, keep-alive, 50 connections
#   4  1 GiB file, 4 keep-alive connections: MB/s (bench/gobench, as wrk
#      tops out below the servers)
#   5  idle keep-alive: (RSS with IDLE_CONNS connections open, each having
#      sent one request, - RSS at rest) / IDLE_CONNS, on a freshly started
#      server each round
#   6  CGI: a trivial shell script, wrk -c 8, against lighttpd's mod_cgi
#      (bench/cgi.sh runs it when present)
#   7  a site's other shapes, keep-alive c50 unless noted: GET / (index.html
#      through index), a 20 KiB asset (above webserv's small-file cache)
#      and a 256 KiB one, HEAD of the 20 KiB one (with bench/gobench: wrk
#      waits for the body a HEAD response announces), a single Range
#      (bytes=100-1099) of it, GET / with "Connection: close", and 20,000
#      files of 2-5 KiB asked for at random (more than the small-file
#      cache holds: a site's long tail, or a crawler)
#   8  TLS keep-alive c50, 1 KiB file: both servers with the same
#      self-signed ECDSA P-256 certificate, made here with openssl
#   9  compression: a 100 KiB HTML page with "Accept-Encoding: gzip",
#      keep-alive c50, webserv "gzip on; gzip_comp_level 1;" against nginx
#      with the same: from webserv's variant cache (compressed once), and
#      with "compress_cache off" (compressed on every request, as nginx
#      does); the bytes of one response on the wire beside req/s
#   10 HTTP/2 with h2load (Debian nghttp2-client): 1 KiB file, -c 50 -m 10,
#      over TLS (ALPN h2; nginx "listen ... ssl http2") and over h2c with
#      prior knowledge (nginx 1.22 "listen ... http2" on a plain port);
#      and a page load of 64 different assets (1-8 KiB) on one TLS
#      connection, -c 1 -m 64. With scenario 5, idle h2c connections
#      (each having made one request) beside HTTP/1.1's.
#   11 latency at the same load: 1 KiB file, 50 keep-alive connections,
#      an open loop at a fixed rate (bench/gobench rate: request i is due
#      at i/RATE s and its latency counts from then), at each rate in
#      RATES: p50, p99, p99.9, late sends and server CPU per request. The
#      closed loop of scenario 1 (wrk) at saturation gives the faster
#      server more requests per second, and with them more queueing in
#      the client and the kernel; at one rate below both servers'
#      ceiling, the latencies compare the servers rather than the load.
#
# Every wrk row records the server's CPU per request (utime+stime from
# /proc/PID/stat over the run, divided by the requests wrk counted): on 2
# cores wrk itself can be the ceiling of req/s, and CPU per request is
# the figure the load generator and other load disturb least. The first
# table puts it beside req/s for every wrk row.
#
# The figures are only as quiet as the machine: the header prints the load
# average, and wrk shares the CPUs with the server.
set -euo pipefail

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-5}
WARMUP=${WARMUP:-2}
THREADS=${THREADS:-2}
IDLE_CONNS=${IDLE_CONNS:-10000}
IDLE_SETTLE=${IDLE_SETTLE:-4}
SCENARIOS=${SCENARIOS:-"1 2 3 4 5 6 7 8 9 10 11"}
RATES=${RATES:-"10000 20000"}
BASE_PORT=${BASE_PORT:-18480}

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TMP=$(mktemp -d /tmp/webserv-bench.XXXXXX)
chmod 755 "$TMP"
RESULTS=$TMP/results.tsv
: >"$RESULTS"

PORT_WS=$BASE_PORT           # webserv, scenarios 1-4, 6
PORT_NG=$((BASE_PORT + 1))   # nginx, scenarios 1-4
PORT_WS_IDLE=$((BASE_PORT + 2))
PORT_NG_IDLE=$((BASE_PORT + 3))
PORT_LT=$((BASE_PORT + 4))   # lighttpd, scenario 6
PORT_WS_TLS=$((BASE_PORT + 5)) # webserv, scenario 8
PORT_NG_TLS=$((BASE_PORT + 6)) # nginx, scenario 8
PORT_WS_H2=$((BASE_PORT + 7))  # webserv, scenario 10: h2 over TLS
PORT_NG_H2=$((BASE_PORT + 8))  # nginx, scenario 10: h2 over TLS
PORT_WS_H2C=$((BASE_PORT + 9)) # webserv, scenario 10: h2c
PORT_NG_H2C=$((BASE_PORT + 10)) # nginx, scenario 10: h2c
PORT_WS_IDLE_H2=$((BASE_PORT + 11)) # scenarios 5 and 10: idle h2c
PORT_NG_IDLE_H2=$((BASE_PORT + 12))

PIDS=()     # every background process started, stopped on exit

log() { printf '%s\n' "$*" >&2; }
die() { log "bench: $*"; exit 1; }
want() { [[ " $SCENARIOS " == *" $1 "* ]]; }

cleanup() {
	local pid
	for pid in "${PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "${PIDS[@]}"; do
		for _ in $(seq 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	if [[ ${KEEP_TMP:-} == 1 ]]; then
		log "bench: kept $TMP"
	else
		rm -rf "$TMP"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# stop PID: stop one process started by this script and forget it.
stop() {
	local pid=$1 p rest=()
	kill -TERM "$pid" 2>/dev/null || true
	for _ in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	for p in "${PIDS[@]}"; do
		[[ $p == "$pid" ]] || rest+=("$p")
	done
	PIDS=("${rest[@]}")
}

# ---------------------------------------------------------------- set-up

install_tools() {
	local missing=() sudo=
	command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || missing+=(nginx)
	command -v wrk >/dev/null || missing+=(wrk)
	command -v lighttpd >/dev/null || [[ -x /usr/sbin/lighttpd ]] || missing+=(lighttpd)
	command -v curl >/dev/null || missing+=(curl)
	command -v openssl >/dev/null || missing+=(openssl)
	! want 10 || command -v h2load >/dev/null || missing+=(nghttp2-client)
	((${#missing[@]})) || return 0
	[[ $(id -u) == 0 ]] || sudo=sudo
	log "bench: installing ${missing[*]}"
	if ! $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >"$TMP/apt.log" 2>&1; then
		$sudo apt-get update -qq >>"$TMP/apt.log" 2>&1
		$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >>"$TMP/apt.log" 2>&1 ||
			die "apt-get install ${missing[*]} failed; see $TMP/apt.log"
	fi
	# Debian's packages may start their services; this benchmark runs its
	# own instances and leaves the system ones alone.
}

raise_fd_limit() {
	local need=$((IDLE_CONNS + 1024)) hard
	hard=$(ulimit -Hn)
	if [[ $hard != unlimited ]] && ((hard < need)); then
		ulimit -Hn "$need" 2>/dev/null || true
		hard=$(ulimit -Hn)
	fi
	ulimit -Sn "$hard"
	if [[ $hard != unlimited ]] && ((hard < need)); then
		IDLE_CONNS=$((hard - 1024))
		log "bench: open-file limit $hard; scenario 5 uses $IDLE_CONNS connections"
	fi
}

make_site() {
	mkdir -p "$TMP/www/cgi-bin" "$TMP/nginx-tmp" "$TMP/logs"
	head -c 1024 /dev/zero | tr '\0' 'x' >"$TMP/www/1k.html"
	# Scenario 7's site: an index page, a 20 KiB and a 256 KiB asset.
	mkdir -p "$TMP/www/sub"
	head -c 2048 /dev/zero | tr '\0' 'i' >"$TMP/www/index.html"
	head -c 20480 /dev/urandom >"$TMP/www/sub/20k.bin"
	head -c 262144 /dev/urandom >"$TMP/www/256k.bin"
	if want 8 || want 10; then
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
			-subj /CN=localhost -keyout "$TMP/tls.key" -out "$TMP/tls.crt" >"$TMP/logs/openssl.log" 2>&1 ||
			die "openssl could not make a certificate; see $TMP/logs/openssl.log"
	fi
	# A real (not sparse) file, read once so both servers send it from the
	# page cache.
	dd if=/dev/zero of="$TMP/www/1g.bin" bs=1M count=1024 status=none
	cat "$TMP/www/1g.bin" >/dev/null
	printf '#!/bin/sh\nprintf '"'"'Content-Type: text/plain\\r\\n\\r\\nhello\\n'"'"'\n' >"$TMP/www/cgi-bin/hello.sh"
	chmod 755 "$TMP/www" "$TMP/www/cgi-bin" "$TMP/www/cgi-bin/hello.sh"
	chmod 755 "$TMP/www/sub"
	# Scenario 10's page: 64 assets of 1 to 8 KiB, and h2load's URL list.
	mkdir -p "$TMP/www/assets"
	: >"$TMP/urls-webserv.txt"
	: >"$TMP/urls-nginx.txt"
	local i
	for i in $(seq -w 0 63); do
		head -c $(((10#$i % 8 + 1) * 1024)) /dev/urandom >"$TMP/www/assets/a$i.bin"
		echo "https://127.0.0.1:$PORT_WS_H2/assets/a$i.bin" >>"$TMP/urls-webserv.txt"
		echo "https://127.0.0.1:$PORT_NG_H2/assets/a$i.bin" >>"$TMP/urls-nginx.txt"
	done
	chmod 755 "$TMP/www/assets"
	chmod 644 "$TMP/www/assets/"*
	touch -d '1 minute ago' "$TMP/www/assets" "$TMP/www/assets/"*
	chmod 644 "$TMP/www/1k.html" "$TMP/www/1g.bin" "$TMP/www/index.html" "$TMP/www/sub/20k.bin" "$TMP/www/256k.bin"
	# Scenario 9's page: 100 KiB of HTML, table rows of varied words (it
	# compresses about as a real page does, several-fold).
	mkdir -p "$TMP/www/z"
	awk 'BEGIN {
		srand(19); split("the a server sends compressed responses to clients that accept them webserv nginx page table row item price stock order date name", w, " ")
		print "<!DOCTYPE html>\n<html><head><title>Catalogue</title></head><body><table>"
		while (n < 102400) {
			line = sprintf("<tr><td class=\"id\">%d</td><td><a href=\"/item/%d\">%s %s %s</a></td><td>%d.%02d</td></tr>", i, i * 7, w[int(rand() * 20) + 1], w[int(rand() * 20) + 1], w[int(rand() * 20) + 1], rand() * 1000, rand() * 100)
			print line; n += length(line) + 1; i++
		}
	}' >"$TMP/www/z/page.html"
	# Cut to size in place: "| head -c" would end awk with SIGPIPE now and
	# then, which pipefail turns into the script's exit status (141).
	truncate -s 102400 "$TMP/www/z/page.html"
	chmod 755 "$TMP/www/z"
	chmod 644 "$TMP/www/z/page.html"
	# Scenario 7's many small files: 20,000 of 2 to 5 KiB in 100
	# directories, more than webserv's small-file cache holds (1,024),
	# asked for at random by wrk (many.lua; each wrk thread seeds its own
	# sequence, or the threads would ask for each file together).
	if want 7; then
		local d f n body
		body=$(head -c 5120 /dev/zero | tr '\0' 'm')
		for d in $(seq -w 0 99); do
			mkdir -p "$TMP/www/many/d$d"
		done
		for ((n = 0; n < 20000; n++)); do
			printf -v d '%02d' $((n % 100))
			printf -v f '%05d' $n
			printf '%s' "${body:0:$((2048 + n % 7 * 512))}" >"$TMP/www/many/d$d/f$f.txt"
		done
		find "$TMP/www/many" -type d -exec chmod 755 {} + -o -type f -exec chmod 644 {} +
		find "$TMP/www/many" -exec touch -d '1 minute ago' {} +
		cat >"$TMP/many.lua" <<'LUA'
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end
function init(args)
  math.randomseed(os.time() * 100 + id)
end
function request()
  local i = math.random(0, 19999)
  return wrk.format("GET", string.format("/many/d%02d/f%05d.txt", i % 100, i))
end
LUA
	fi
	# Older than a second, as on a deployed site: webserv caches nothing
	# changed in the last second (internal/static/cache.go, racyWindow).
	touch -d '1 minute ago' "$TMP/www" "$TMP/www/sub" "$TMP/www/index.html" "$TMP/www/1k.html" "$TMP/www/z" "$TMP/www/z/page.html"
}

# webserv_conf PORT FILE
webserv_conf() {
	cat >"$2" <<EOF
error_log $TMP/logs/webserv-$1.log warn;
access_log off;
max_connections $((IDLE_CONNS + 1000));
keepalive_timeout 75s;
keepalive_requests 1000;
server {
    listen 127.0.0.1:$1$(h2c_param "$1");
    root $TMP/www;
    location /cgi-bin/ { cgi .sh /bin/sh; }
    location /z/ { gzip on; gzip_comp_level 1; }
    location /zn/ { alias $TMP/www/z/; gzip on; gzip_comp_level 1; compress_cache off; }
}
EOF
	if [[ $1 == "$PORT_WS" ]] && want 10; then
		cat >>"$2" <<EOF
server {
    listen 127.0.0.1:$PORT_WS_H2 ssl;
    ssl_certificate $TMP/tls.crt;
    ssl_certificate_key $TMP/tls.key;
    root $TMP/www;
}
server {
    listen 127.0.0.1:$PORT_WS_H2C http2;
    root $TMP/www;
}
EOF
	fi
	if [[ $1 == "$PORT_WS" ]] && want 8; then
		cat >>"$2" <<EOF
server {
    listen 127.0.0.1:$PORT_WS_TLS ssl;
    ssl_certificate $TMP/tls.crt;
    ssl_certificate_key $TMP/tls.key;
    root $TMP/www;
}
EOF
	fi
}

# nginx_conf PORT FILE
nginx_conf() {
	local user=
	[[ $(id -u) == 0 ]] && user="user root;"
	cat >"$2" <<EOF
$user
worker_processes 2;
worker_rlimit_nofile $((IDLE_CONNS + 2048));
pid $TMP/nginx-$1.pid;
error_log $TMP/logs/nginx-$1.log warn;
events { worker_connections $((IDLE_CONNS + 1000)); }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    log_not_found off; # webserv does not log a missing file either
    sendfile on;
    keepalive_timeout 75s;
    keepalive_requests 1000;
    client_body_temp_path $TMP/nginx-tmp/body;
    proxy_temp_path $TMP/nginx-tmp/proxy;
    fastcgi_temp_path $TMP/nginx-tmp/fastcgi;
    uwsgi_temp_path $TMP/nginx-tmp/uwsgi;
    scgi_temp_path $TMP/nginx-tmp/scgi;
    server {
        listen 127.0.0.1:$1$(h2c_param "$1");
        root $TMP/www;
        location /z/ { gzip on; gzip_comp_level 1; }
        location /zn/ { alias $TMP/www/z/; gzip on; gzip_comp_level 1; }
    }
$(nginx_tls "$1")
$(nginx_h2 "$1")
}
EOF
}

# h2c_param PORT: " http2" for the idle h2c servers of scenario 5 (on a
# plain port, HTTP/2 with prior knowledge only in nginx 1.22).
h2c_param() { [[ $1 == "$PORT_WS_IDLE_H2" || $1 == "$PORT_NG_IDLE_H2" ]] && echo " http2" || true; }

# nginx_h2 PORT: the HTTP/2 servers of scenario 10 in the nginx serving PORT.
# keepalive_requests bounds an HTTP/2 connection's streams too in nginx
# (1000 here would end each h2load client's connection with GOAWAY after
# 1000 requests, and h2load does not reconnect); webserv sets no such
# bound on HTTP/2, so nginx gets none either.
nginx_h2() {
	[[ $1 == "$PORT_NG" ]] && want 10 || return 0
	cat <<EOF
    server {
        listen 127.0.0.1:$PORT_NG_H2 ssl http2;
        ssl_certificate $TMP/tls.crt;
        ssl_certificate_key $TMP/tls.key;
        keepalive_requests 10000000;
        root $TMP/www;
    }
    server {
        listen 127.0.0.1:$PORT_NG_H2C http2;
        keepalive_requests 10000000;
        root $TMP/www;
    }
EOF
}

# nginx_tls PORT: the TLS server of scenario 8 in the nginx serving PORT.
nginx_tls() {
	[[ $1 == "$PORT_NG" ]] && want 8 || return 0
	cat <<EOF
    server {
        listen 127.0.0.1:$PORT_NG_TLS ssl;
        ssl_certificate $TMP/tls.crt;
        ssl_certificate_key $TMP/tls.key;
        root $TMP/www;
    }
EOF
}

lighttpd_conf() {
	cat >"$2" <<EOF
server.document-root = "$TMP/www"
server.bind = "127.0.0.1"
server.port = $1
server.modules = ( "mod_cgi" )
server.errorlog = "$TMP/logs/lighttpd-$1.log"
server.max-fds = 4096
cgi.assign = ( ".sh" => "/bin/sh" )
mimetype.assign = ( ".html" => "text/html" )
EOF
}

# wait_port PORT PID: poll until PORT accepts, failing if PID exits.
wait_port() {
	for _ in $(seq 200); do
		kill -0 "$2" 2>/dev/null || die "server for port $1 exited; see $TMP/logs"
		if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
			return 0
		fi
		sleep 0.05
	done
	die "nothing listening on port $1 after 10s"
}

# start_server KIND PORT: starts webserv, nginx or lighttpd; sets SPID.
start_server() {
	local kind=$1 port=$2 conf=$TMP/$1-$2.conf
	case $kind in
	webserv)
		webserv_conf "$port" "$conf"
		"$TMP/webserv" -c "$conf" 2>>"$TMP/logs/webserv-$port.stderr" &
		;;
	nginx)
		nginx_conf "$port" "$conf"
		nginx -e "$TMP/logs/nginx-$port.log" -c "$conf" -g 'daemon off;' 2>>"$TMP/logs/nginx-$port.stderr" &
		;;
	lighttpd)
		lighttpd_conf "$port" "$conf"
		lighttpd -D -f "$conf" 2>>"$TMP/logs/lighttpd-$port.stderr" &
		;;
	esac
	SPID=$!
	PIDS+=("$SPID")
	wait_port "$port" "$SPID"
}

# pids_of PID: the server process and its children (nginx's workers).
pids_of() { echo "$1" $(pgrep -P "$1" -d ' ' || true); }

# cpu_ticks PID...: utime+stime+cutime+cstime (fields 14-17 of
# /proc/PID/stat, in clock ticks), summed. Reaped CGI children count.
cpu_ticks() {
	local total=0 pid s f
	for pid in "$@"; do
		s=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
		read -ra f <<<"${s##*) }" # fields from 3 on: state is f[0]
		total=$((total + f[11] + f[12] + f[13] + f[14]))
	done
	echo "$total"
}

# rss_kb PID...: VmRSS summed, in KiB.
rss_kb() {
	local total=0 pid v
	for pid in "$@"; do
		v=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null) || continue
		total=$((total + ${v:-0}))
	done
	echo "$total"
}

CLK_TCK=$(getconf CLK_TCK)

# record KEY SERVER VALUE
record() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$RESULTS"; }

# run_wrk KEY SERVER PID URL [wrk args...]: one wrk run, recording req/s,
# p50, p99 (µs), server CPU µs per request and error counts.
run_wrk() {
	local key=$1 server=$2 pid=$3 url=$4
	shift 4
	local out=$TMP/wrk-$key-$server-$(date +%s%N).txt pids c0 c1
	pids=$(pids_of "$pid")
	c0=$(cpu_ticks $pids)
	wrk -t"$THREADS" -d"${DURATION}s" --latency "$@" "$url" >"$out" 2>&1 || die "wrk failed: $(cat "$out")"
	c1=$(cpu_ticks $pids)
	awk -v key="$key" -v server="$server" -v ticks=$((c1 - c0)) -v hz="$CLK_TCK" '
		function us(v) {
			if (v ~ /us$/) return v + 0
			if (v ~ /ms$/) return v * 1000
			if (v ~ /m$/) return v * 60e6
			if (v ~ /s$/) return v * 1e6
			return v + 0
		}
		$1 == "50%" { p50 = us($2) }
		$1 == "99%" { p99 = us($2) }
		/ requests in / { reqs = $1 }
		/^Requests\/sec:/ { rps = $2 }
		/^  Non-2xx or 3xx responses:/ { non2xx = $NF }
		/Socket errors:/ { gsub(/,/, ""); sockerr = $4 + $6 + $8 + $10 }
		END {
			printf "%s|req/s\t%s\t%.0f\n", key, server, rps
			printf "%s|p50 µs\t%s\t%.0f\n", key, server, p50
			printf "%s|p99 µs\t%s\t%.0f\n", key, server, p99
			if (reqs > 0) printf "%s|CPU µs/req\t%s\t%.1f\n", key, server, ticks * 1e6 / hz / reqs
			printf "%s|errors\t%s\t%d\n", key, server, sockerr
			printf "%s|non-2xx\t%s\t%d\n", key, server, non2xx
		}' "$out" >>"$RESULTS"
}

# ------------------------------------------------------------ scenarios

scenario_static() { # round
	local srv pid url key hdr c path base_ws base_ng
	for key in s1c50 s1c256 s2c50 s2c256 s3 s7root s7k20 s7k256 s7many s7head s7range s7close s8tls s9cache s9fresh; do
		base_ws=http://127.0.0.1:$PORT_WS base_ng=http://127.0.0.1:$PORT_NG
		case $key in
		s1c50) c=50 hdr=() path=/1k.html ;;
		s1c256) c=256 hdr=() path=/1k.html ;;
		s2c50) c=50 hdr=(-H 'Connection: close') path=/1k.html ;;
		s2c256) c=256 hdr=(-H 'Connection: close') path=/1k.html ;;
		s3) c=50 hdr=() path=/missing.html ;;
		s7root) c=50 hdr=() path=/ ;;
		s7k20) c=50 hdr=() path=/sub/20k.bin ;;
		s7k256) c=50 hdr=() path=/256k.bin ;;
		s7many) c=50 hdr=(-s "$TMP/many.lua") path=/ ;;
		s7head) c=50 hdr=(head) path=/sub/20k.bin ;;
		s7range) c=50 hdr=(-H 'Range: bytes=100-1099') path=/sub/20k.bin ;;
		s7close) c=50 hdr=(-H 'Connection: close') path=/ ;;
		s9cache) c=50 hdr=(-H 'Accept-Encoding: gzip') path=/z/page.html ;;
		s9fresh) c=50 hdr=(-H 'Accept-Encoding: gzip') path=/zn/page.html ;;
		s8tls)
			c=50 hdr=() path=/1k.html
			base_ws=https://127.0.0.1:$PORT_WS_TLS base_ng=https://127.0.0.1:$PORT_NG_TLS
			;;
		esac
		case $key in s1*) want 1 || continue ;; s2*) want 2 || continue ;; s3) want 3 || continue ;; s7*) want 7 || continue ;; s8*) want 8 || continue ;; s9*) want 9 || continue ;; esac
		for srv in webserv nginx; do
			if [[ $srv == webserv ]]; then pid=$WS_PID url=$base_ws$path; else pid=$NG_PID url=$base_ng$path; fi
			[[ $key != s7many ]] || warm_pages "$TMP/www/many"
			if [[ ${hdr[*]-} == head ]]; then
				run_head "$key" "$srv" "$pid" "$url" "$c"
			else
				run_wrk "$key" "$srv" "$pid" "$url" -c"$c" "${hdr[@]}"
			fi
		done
	done
}

# warm_pages FILE...: reads the files into the page cache before a run.
# Rows whose files the kernel may have paged out since the last round (the
# 1 GiB file, the 20,000 small ones) are otherwise measured from disk for
# the server that runs first and from memory for the one that follows it
# over the same files; a site's hot set is resident, so both runs start
# from memory.
warm_pages() {
	find "$@" -type f -print0 | xargs -0 cat >/dev/null
}

# run_head KEY SERVER PID URL CONNS: HEAD requests with bench/gobench (wrk
# waits for the body a HEAD response announces, and times out): req/s and
# server CPU µs per request; no latency figures.
run_head() {
	local key=$1 server=$2 pid=$3 url=$4 c=$5 pids c0 c1 out
	pids=$(pids_of "$pid")
	c0=$(cpu_ticks $pids)
	out=$("$TMP/gobench" head -url "$url" -c "$c" -d "${DURATION}s") || die "gobench head against $server failed"
	c1=$(cpu_ticks $pids)
	awk -v key="$key" -v server="$server" -v ticks=$((c1 - c0)) -v hz="$CLK_TCK" '
		$1 == "requests" && $2 > 0 {
			printf "%s|req/s\t%s\t%.0f\n", key, server, $2 / $4
			printf "%s|CPU µs/req\t%s\t%.1f\n", key, server, ticks * 1e6 / hz / $2
		}' <<<"$out" >>"$RESULTS"
}

# run_h2load KEY SERVER PID URL [h2load args...]: one h2load run for
# DURATION, recording req/s, mean request time (µs; h2load prints no
# percentiles), server CPU µs per request and failures.
run_h2load() {
	local key=$1 server=$2 pid=$3 url=$4
	shift 4
	local out=$TMP/h2load-$key-$server-$(date +%s%N).txt pids c0 c1
	pids=$(pids_of "$pid")
	c0=$(cpu_ticks $pids)
	h2load -D "$DURATION" "$@" $url >"$out" 2>&1 || die "h2load failed: $(cat "$out")"
	c1=$(cpu_ticks $pids)
	awk -v key="$key" -v server="$server" -v ticks=$((c1 - c0)) -v hz="$CLK_TCK" '
		function us(v) {
			if (v ~ /us$/) return v + 0
			if (v ~ /ms$/) return v * 1000
			if (v ~ /s$/) return v * 1e6
			return v + 0
		}
		/^finished in/ { rps = $4 }
		/^requests:/ { done = $8; failed = $10 + $12 + $14 }
		/^status codes:/ { non2xx = $5 + $7 + $9 }
		/^time for request:/ { mean = us($6) } # min, max, mean, sd
		END {
			printf "%s|req/s\t%s\t%.0f\n", key, server, rps
			printf "%s|mean µs\t%s\t%.0f\n", key, server, mean
			if (done > 0) printf "%s|CPU µs/req\t%s\t%.1f\n", key, server, ticks * 1e6 / hz / done
			printf "%s|errors\t%s\t%d\n", key, server, failed
			printf "%s|non-2xx\t%s\t%d\n", key, server, non2xx
		}' "$out" >>"$RESULTS"
}

# run_rate KEY SERVER PID URL RATE: an open loop at RATE requests/s on
# 50 connections (bench/gobench rate): p50, p99, p99.9 (µs), sends more
# than 1 ms late, server CPU µs per request.
run_rate() {
	local key=$1 server=$2 pid=$3 url=$4 rate=$5 pids c0 c1 out
	pids=$(pids_of "$pid")
	c0=$(cpu_ticks $pids)
	out=$("$TMP/gobench" rate -url "$url" -c 50 -rate "$rate" -d "${DURATION}s") || die "gobench rate against $server failed"
	c1=$(cpu_ticks $pids)
	awk -v key="$key" -v server="$server" -v ticks=$((c1 - c0)) -v hz="$CLK_TCK" '
		$1 == "requests" && $2 > 0 {
			printf "%s|p50 µs\t%s\t%d\n", key, server, $6
			printf "%s|p99 µs\t%s\t%d\n", key, server, $10
			printf "%s|p99.9 µs\t%s\t%d\n", key, server, $12
			printf "%s|late\t%s\t%d\n", key, server, $4
			printf "%s|CPU µs/req\t%s\t%.1f\n", key, server, ticks * 1e6 / hz / $2
		}' <<<"$out" >>"$RESULTS"
}

scenario_rate() {
	local srv pid rate url
	for rate in $RATES; do
		for srv in webserv nginx; do
			if [[ $srv == webserv ]]; then pid=$WS_PID url=http://127.0.0.1:$PORT_WS/1k.html; else pid=$NG_PID url=http://127.0.0.1:$PORT_NG/1k.html; fi
			run_rate "s11r$rate" "$srv" "$pid" "$url" "$rate"
		done
	done
}

scenario_h2() {
	local srv pid key
	for key in s10tls s10h2c s10page; do
		for srv in webserv nginx; do
			if [[ $srv == webserv ]]; then pid=$WS_PID; else pid=$NG_PID; fi
			case $key in
			s10tls) run_h2load "$key" "$srv" "$pid" "https://127.0.0.1:$(h2port "$srv" tls)/1k.html" -c 50 -m 10 -t "$THREADS" ;;
			s10h2c) run_h2load "$key" "$srv" "$pid" "http://127.0.0.1:$(h2port "$srv" h2c)/1k.html" -c 50 -m 10 -t "$THREADS" ;;
			s10page) run_h2load "$key" "$srv" "$pid" "" -c 1 -m 64 -t 1 -i "$TMP/urls-$srv.txt" ;;
			esac
		done
	done
}

# h2port SERVER tls|h2c: the port of scenario 10's listener.
h2port() {
	case $1-$2 in
	webserv-tls) echo "$PORT_WS_H2" ;;
	webserv-h2c) echo "$PORT_WS_H2C" ;;
	nginx-tls) echo "$PORT_NG_H2" ;;
	nginx-h2c) echo "$PORT_NG_H2C" ;;
	esac
}

scenario_bigfile() {
	local srv port v
	for srv in webserv nginx; do
		if [[ $srv == webserv ]]; then port=$PORT_WS; else port=$PORT_NG; fi
		warm_pages "$TMP/www/1g.bin"
		v=$("$TMP/gobench" throughput -url "http://127.0.0.1:$port/1g.bin" -c 4 -d "${DURATION}s") || die "gobench throughput against $srv failed"
		record "s4|MB/s" "$srv" "${v#MB/s }"
	done
}

scenario_idle() {
	local srv port pid pids rest loaded cpid out n proto key h2c
	for proto in http1 h2; do
	[[ $proto == http1 ]] || want 10 || continue
	for srv in webserv nginx; do
		key=s5 h2c=-h2c=false
		if [[ $srv == webserv ]]; then port=$PORT_WS_IDLE; else port=$PORT_NG_IDLE; fi
		if [[ $proto == h2 ]]; then
			key=s5h2 h2c=-h2c
			if [[ $srv == webserv ]]; then port=$PORT_WS_IDLE_H2; else port=$PORT_NG_IDLE_H2; fi
		fi
		start_server "$srv" "$port"
		pid=$SPID
		# A few requests first, so that what any first request initialises
		# counts as "at rest".
		"$TMP/gobench" idle "$h2c" -addr "127.0.0.1:$port" -path /1k.html -n 64 -hold=false >/dev/null ||
			die "gobench idle warm-up against $srv failed"
		sleep 1
		pids=$(pids_of "$pid")
		rest=$(rss_kb $pids)
		out=$TMP/idle-$srv-$port-$(date +%s%N).txt
		# The client holds the connections until it is stopped.
		"$TMP/gobench" idle "$h2c" -addr "127.0.0.1:$port" -path /1k.html -n "$IDLE_CONNS" >"$out" 2>&1 </dev/null &
		cpid=$!
		PIDS+=("$cpid")
		for _ in $(seq 1200); do
			grep -qs '^ready' "$out" && break
			kill -0 "$cpid" 2>/dev/null || die "gobench idle against $srv failed: $(cat "$out")"
			sleep 0.05
		done
		grep -q '^ready' "$out" || die "gobench idle against $srv: not ready after 60s"
		n=$(awk '/^ready/ {print $2}' "$out")
		# Let the server settle after the last response: webserv gives a
		# burst's memory back to the OS once parking has been quiet for a
		# second (internal/server/park.go), which lands 1-3 s after the
		# last connection; nginx gets the same wait.
		sleep "$IDLE_SETTLE"
		loaded=$(rss_kb $pids)
		record "$key|bytes/conn" "$srv" $(((loaded - rest) * 1024 / n))
		record "$key|RSS at rest KiB" "$srv" "$rest"
		stop "$cpid"
		stop "$pid"
	done
	done
}

scenario_cgi() {
	local srv pid url
	if [[ -x $REPO/bench/cgi.sh ]]; then
		return 0 # run once, after the rounds (see below)
	fi
	for srv in webserv lighttpd; do
		if [[ $srv == webserv ]]; then pid=$WS_PID url=http://127.0.0.1:$PORT_WS/cgi-bin/hello.sh; else pid=$LT_PID url=http://127.0.0.1:$PORT_LT/cgi-bin/hello.sh; fi
		run_wrk s6 "$srv" "$pid" "$url" -c8
	done
}

# check URL STATUS [curl args...]: one request with curl, to be sure both
# servers serve what is measured (-k: scenario 8's certificate is
# self-signed). STATUS may be "CODE VERSION" ("200 2": HTTP/2).
check() {
	local got url=$1 want=$2
	shift 2
	local fmt='%{http_code}'
	[[ $want != *' '* ]] || fmt='%{http_code} %{http_version}' # "STATUS VERSION"
	got=$(curl -sk -o /dev/null -w "$fmt" --max-time 10 "$@" "$url") || true
	[[ $got == "$want" ]] || die "$url $*: got status $got, want $want"
}

# ------------------------------------------------------------- table

median() { sort -g | awk '{v[NR] = $1} END { if (NR == 0) print ""; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

med() { # KEY SERVER
	awk -F'\t' -v k="$1" -v s="$2" '$1 == k && $2 == s {print $3}' "$RESULTS" | median
}

# print_summary: one line per wrk row, with req/s and server CPU µs per
# request side by side.
print_summary() {
	local key label ws rv wc rc
	printf '\n%-32s %9s %9s %6s  %17s %6s\n' "row (keep-alive unless noted)" webserv nginx ratio "CPU µs/req ws/ng" ratio
	printf '%s\n' "-----------------------------------------------------------------------------------------"
	while IFS='|' read -r key label; do
		ws=$(med "$key|req/s" webserv)
		rv=$(med "$key|req/s" nginx)
		[[ -n $ws || -n $rv ]] || continue
		wc=$(med "$key|CPU µs/req" webserv)
		rc=$(med "$key|CPU µs/req" nginx)
		printf '%-32s %9s %9s %6s  %17s %6s\n' "$label" "${ws:--}" "${rv:--}" "$(ratio "$ws" "$rv")" "${wc:--} / ${rc:--}" "$(ratio "$wc" "$rc")"
	done <<'EOF'
s7root|GET / (index) c50
s7k20|GET 20 KiB c50
s7k256|GET 256 KiB c50
s7many|GET 20,000 files at random c50
s1c50|GET 1 KiB c50
s1c256|GET 1 KiB c256
s3|404 c50
s7head|HEAD 20 KiB c50 (gobench)
s7range|Range 1000 B of 20 KiB c50
s7close|GET / Connection: close c50
s2c50|1 KiB Connection: close c50
s2c256|1 KiB Connection: close c256
s8tls|TLS 1 KiB c50
s9cache|gzip 100 KiB c50, variant cache
s9fresh|gzip 100 KiB c50, no cache
s10tls|h2 TLS 1 KiB c50 m10 (h2load)
s10h2c|h2c 1 KiB c50 m10 (h2load)
s10page|h2 TLS 64 assets c1 m64 (h2load)
EOF
	printf 'ratio = webserv / nginx: higher is better for req/s, lower for CPU.\n'
	if want 9; then
		printf '\n%-32s %9s %9s %6s\n' "gzip bytes on the wire" webserv nginx ratio
		for key in s9cache s9fresh; do
			ws=$(med "$key|bytes" webserv)
			rv=$(med "$key|bytes" nginx)
			printf '%-32s %9s %9s %6s\n' "$key (of 102400)" "${ws:--}" "${rv:--}" "$(ratio "$ws" "$rv")"
		done
	fi
}

# rate_rows: print_table's rows for scenario 11, one group per rate.
rate_rows() {
	local rate
	for rate in $RATES; do
		printf '11 1 KiB c50 at %s/s|s11r%s|p50 µs|nginx|\n' "$rate" "$rate"
		printf '11 1 KiB c50 at %s/s|s11r%s|p99 µs|nginx|<=1.0\n' "$rate" "$rate"
		printf '11 1 KiB c50 at %s/s|s11r%s|p99.9 µs|nginx|\n' "$rate" "$rate"
		printf '11 1 KiB c50 at %s/s|s11r%s|late|nginx|\n' "$rate" "$rate"
		printf '11 1 KiB c50 at %s/s|s11r%s|CPU µs/req|nginx|\n' "$rate" "$rate"
	done
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 > 0 && a != "") printf "%.2f", a / b; else print "-" }'; }

print_table() {
	local row label metric key ref target ws rv ratio verdict
	printf '\n%-28s %-11s %11s %11s %9s %-9s  %s\n' scenario metric webserv reference ratio reference target
	printf '%s\n' "-----------------------------------------------------------------------------------------------------"
	while IFS='|' read -r label key metric ref target; do
		ws=$(med "$key|$metric" webserv)
		rv=$(med "$key|$metric" "$ref")
		[[ -n $ws || -n $rv ]] || continue
		ratio=$(awk -v a="$ws" -v b="$rv" 'BEGIN { if (b + 0 > 0 && a != "") printf "%.2f", a / b; else print "-" }')
		verdict=
		case $target in
		'>='*) verdict=$(awk -v r="$ratio" -v t="${target#>=}" 'BEGIN { print (r != "-" && r + 0 >= t) ? "ok" : "MISS" }') ;;
		'<='*B) verdict=$(awk -v a="$ws" -v t="${target#<=}" 'BEGIN { print (a != "" && a + 0 <= t + 0) ? "ok" : "MISS" }') ;;
		'<='*) verdict=$(awk -v r="$ratio" -v t="${target#<=}" 'BEGIN { print (r != "-" && r + 0 <= t) ? "ok" : "MISS" }') ;;
		esac
		printf '%-28s %-11s %11s %11s %9s %-9s  %s %s\n' "$label" "$metric" "${ws:--}" "${rv:--}" "$ratio" "$ref" "$target" "$verdict"
	done <<EOF
1 keep-alive 1 KiB c50|s1c50|req/s|nginx|>=1.0
1 keep-alive 1 KiB c50|s1c50|p50 µs|nginx|
1 keep-alive 1 KiB c50|s1c50|p99 µs|nginx|<=1.0
1 keep-alive 1 KiB c50|s1c50|CPU µs/req|nginx|
1 keep-alive 1 KiB c256|s1c256|req/s|nginx|>=1.0
1 keep-alive 1 KiB c256|s1c256|p50 µs|nginx|
1 keep-alive 1 KiB c256|s1c256|p99 µs|nginx|<=1.0
1 keep-alive 1 KiB c256|s1c256|CPU µs/req|nginx|
2 Connection: close c50|s2c50|req/s|nginx|>=1.0
2 Connection: close c50|s2c50|p50 µs|nginx|
2 Connection: close c50|s2c50|p99 µs|nginx|
2 Connection: close c50|s2c50|CPU µs/req|nginx|
2 Connection: close c256|s2c256|req/s|nginx|>=1.0
2 Connection: close c256|s2c256|p50 µs|nginx|
2 Connection: close c256|s2c256|p99 µs|nginx|
2 Connection: close c256|s2c256|CPU µs/req|nginx|
3 404 keep-alive c50|s3|req/s|nginx|>=1.0
3 404 keep-alive c50|s3|p50 µs|nginx|
3 404 keep-alive c50|s3|p99 µs|nginx|
3 404 keep-alive c50|s3|CPU µs/req|nginx|
7 GET / (index) c50|s7root|req/s|nginx|>=1.0
7 GET / (index) c50|s7root|p99 µs|nginx|<=1.0
7 GET / (index) c50|s7root|CPU µs/req|nginx|<=1.0
7 GET 20 KiB c50|s7k20|req/s|nginx|>=1.0
7 GET 20 KiB c50|s7k20|p99 µs|nginx|<=1.0
7 GET 20 KiB c50|s7k20|CPU µs/req|nginx|<=1.0
7 GET 256 KiB c50|s7k256|req/s|nginx|>=1.0
7 GET 256 KiB c50|s7k256|p99 µs|nginx|<=1.0
7 GET 256 KiB c50|s7k256|CPU µs/req|nginx|<=1.0
7 20,000 files at random c50|s7many|req/s|nginx|>=1.0
7 20,000 files at random c50|s7many|p99 µs|nginx|
7 20,000 files at random c50|s7many|CPU µs/req|nginx|<=1.0
7 HEAD 20 KiB c50 gobench|s7head|req/s|nginx|>=1.0
7 HEAD 20 KiB c50 gobench|s7head|CPU µs/req|nginx|<=1.0
7 Range of 20 KiB c50|s7range|req/s|nginx|>=1.0
7 Range of 20 KiB c50|s7range|CPU µs/req|nginx|<=1.0
7 GET / Connection: close c50|s7close|req/s|nginx|>=1.0
7 GET / Connection: close c50|s7close|CPU µs/req|nginx|
8 TLS keep-alive 1 KiB c50|s8tls|req/s|nginx|>=1.0
8 TLS keep-alive 1 KiB c50|s8tls|p99 µs|nginx|
8 TLS keep-alive 1 KiB c50|s8tls|CPU µs/req|nginx|
9 gzip 100 KiB c50 cached|s9cache|req/s|nginx|>=2.0
9 gzip 100 KiB c50 cached|s9cache|CPU µs/req|nginx|
9 gzip 100 KiB c50 cached|s9cache|bytes|nginx|
9 gzip 100 KiB c50 no cache|s9fresh|req/s|nginx|>=1.0
9 gzip 100 KiB c50 no cache|s9fresh|CPU µs/req|nginx|
9 gzip 100 KiB c50 no cache|s9fresh|bytes|nginx|
10 h2 TLS 1 KiB c50 m10|s10tls|req/s|nginx|>=1.0
10 h2 TLS 1 KiB c50 m10|s10tls|mean µs|nginx|
10 h2 TLS 1 KiB c50 m10|s10tls|CPU µs/req|nginx|
10 h2c 1 KiB c50 m10|s10h2c|req/s|nginx|>=1.0
10 h2c 1 KiB c50 m10|s10h2c|mean µs|nginx|
10 h2c 1 KiB c50 m10|s10h2c|CPU µs/req|nginx|
10 h2 TLS 64 assets c1 m64|s10page|req/s|nginx|>=1.0
10 h2 TLS 64 assets c1 m64|s10page|mean µs|nginx|
10 h2 TLS 64 assets c1 m64|s10page|CPU µs/req|nginx|
$(rate_rows)
4 1 GiB file c4|s4|MB/s|nginx|>=0.9
5 idle keep-alive|s5|bytes/conn|nginx|<=2048B
5 idle keep-alive|s5|RSS at rest KiB|nginx|
5 idle h2c|s5h2|bytes/conn|nginx|
5 idle h2c|s5h2|RSS at rest KiB|nginx|
6 CGI sh c8|s6|req/s|lighttpd|>=1.0
6 CGI sh c8|s6|p50 µs|lighttpd|
6 CGI sh c8|s6|p99 µs|lighttpd|
6 CGI sh c8|s6|CPU µs/req|lighttpd|
EOF
	printf '\nratio = webserv / reference (higher is better for req/s and MB/s, lower for the rest);\n'
	printf 'medians of %s round(s); %ss per run, wrk -t%s; CPU is server utime+stime (+ reaped children) per request.\n' "$ROUNDS" "$DURATION" "$THREADS"
	awk -F'\t' '($1 ~ /\|errors$/ || ($1 ~ /\|non-2xx$/ && $1 !~ /^s3\|/ && $1 !~ /^s7range\|/)) && $3 > 0 { split($1, k, "|"); e[k[1] " " $2 " " k[2]] += $3 }
		END { for (x in e) printf "warning: %s: %d in total\n", x, e[x] }' "$RESULTS" | sort
}

# ---------------------------------------------------------------- main

install_tools
raise_fd_limit
command -v go >/dev/null || die "go is needed to build webserv"
(cd "$REPO" && go build -o "$TMP/webserv" ./cmd/webserv && go build -o "$TMP/gobench" ./bench/gobench) || die "build failed"
make_site

echo "webserv benchmark — $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "machine: $(nproc) CPUs, $(uname -sr), load average:$(uptime | sed 's/.*load average://')"
echo "tools:   $(nginx -v 2>&1 | sed 's/.*: //'), $(lighttpd -v 2>&1 | sed 's/ .*//'), $(wrk -v 2>&1 | awk 'NR == 1 {print $1, $2}'), $(h2load --version 2>/dev/null | awk '{print $2}'), $(go version | awk '{print $3}')"
echo "runs:    ROUNDS=$ROUNDS DURATION=${DURATION}s THREADS=$THREADS IDLE_CONNS=$IDLE_CONNS SCENARIOS=\"$SCENARIOS\""

start_server webserv "$PORT_WS"
WS_PID=$SPID
start_server nginx "$PORT_NG"
NG_PID=$SPID
LT_PID=
if want 6 && [[ ! -x $REPO/bench/cgi.sh ]]; then
	start_server lighttpd "$PORT_LT"
	LT_PID=$SPID
fi

for port in "$PORT_WS" "$PORT_NG"; do
	check "http://127.0.0.1:$port/1k.html" 200
	check "http://127.0.0.1:$port/missing.html" 404
	if want 7; then
		check "http://127.0.0.1:$port/" 200
		check "http://127.0.0.1:$port/sub/20k.bin" 200
		check "http://127.0.0.1:$port/256k.bin" 200
		check "http://127.0.0.1:$port/many/d07/f12307.txt" 200
		check "http://127.0.0.1:$port/sub/20k.bin" 200 -I
		check "http://127.0.0.1:$port/sub/20k.bin" 206 -H 'Range: bytes=100-1099'
	fi
done
if want 9; then
	# Both compress; record the bytes of one response on the wire (the
	# body as curl downloads it, not decoded).
	for key in s9cache s9fresh; do
		path=/z/page.html
		[[ $key == s9fresh ]] && path=/zn/page.html
		for port in "$PORT_WS" "$PORT_NG"; do
			srv=webserv
			[[ $port == "$PORT_NG" ]] && srv=nginx
			enc=$(curl -s -o /dev/null -D - -H 'Accept-Encoding: gzip' --max-time 10 "http://127.0.0.1:$port$path" | tr -d '\r' | awk -F': ' 'tolower($1) == "content-encoding" {print $2}')
			[[ $enc == gzip ]] || die "$srv $path: got Content-Encoding '$enc', want gzip"
			record "$key|bytes" "$srv" "$(curl -s -o /dev/null -w '%{size_download}' -H 'Accept-Encoding: gzip' --max-time 10 "http://127.0.0.1:$port$path")"
		done
	done
fi
if want 8; then
	check "https://127.0.0.1:$PORT_WS_TLS/1k.html" 200
	check "https://127.0.0.1:$PORT_NG_TLS/1k.html" 200
fi
if want 10; then
	for srv in webserv nginx; do
		check "https://127.0.0.1:$(h2port $srv tls)/1k.html" "200 2" --http2
		check "http://127.0.0.1:$(h2port $srv h2c)/1k.html" "200 2" --http2-prior-knowledge
		check "https://127.0.0.1:$(h2port $srv tls)/assets/a63.bin" "200 2" --http2
	done
fi
[[ -z $LT_PID ]] || {
	check "http://127.0.0.1:$PORT_WS/cgi-bin/hello.sh" 200
	check "http://127.0.0.1:$PORT_LT/cgi-bin/hello.sh" 200
}

log "bench: warming up"
for port in "$PORT_WS" "$PORT_NG"; do
	wrk -t"$THREADS" -c50 -d"${WARMUP}s" "http://127.0.0.1:$port/1k.html" >/dev/null
	if want 7; then wrk -t"$THREADS" -c50 -d"${WARMUP}s" "http://127.0.0.1:$port/sub/20k.bin" >/dev/null; fi
	want 4 && "$TMP/gobench" throughput -url "http://127.0.0.1:$port/1g.bin" -c 4 -d "${WARMUP}s" >/dev/null
done
if want 10; then
	for srv in webserv nginx; do
		h2load -D "$WARMUP" -c 50 -m 10 -t "$THREADS" "https://127.0.0.1:$(h2port $srv tls)/1k.html" >/dev/null
		h2load -D "$WARMUP" -c 50 -m 10 -t "$THREADS" "http://127.0.0.1:$(h2port $srv h2c)/1k.html" >/dev/null
	done
fi
[[ -z $LT_PID ]] || for port in "$PORT_WS" "$PORT_LT"; do
	wrk -t"$THREADS" -c8 -d"${WARMUP}s" "http://127.0.0.1:$port/cgi-bin/hello.sh" >/dev/null
done

for round in $(seq "$ROUNDS"); do
	log "bench: round $round of $ROUNDS"
	scenario_static
	want 4 && scenario_bigfile
	want 5 && scenario_idle
	want 6 && scenario_cgi
	want 10 && scenario_h2
	want 11 && scenario_rate
done

if want 6 && [[ -x $REPO/bench/cgi.sh ]]; then
	# Its runs go into the results, so that the table below has the row;
	# its two ports are this run's idle ones (scenario 5 has stopped its
	# servers by now).
	echo "scenario 6 (bench/cgi.sh):"
	ROUNDS=$ROUNDS DURATION=$DURATION THREADS=$THREADS WEBSERV="$TMP/webserv" \
		PORT=$PORT_WS_IDLE RESULTS_TSV="$RESULTS" "$REPO/bench/cgi.sh"
fi

print_summary
print_table
