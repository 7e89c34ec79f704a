#!/usr/bin/env bash
# bench/cgi.sh: CGI requests per second, webserv against lighttpd's
# mod_cgi, on the same trivial shell script over 127.0.0.1 (the closing
# note of issue 5; scenario 6 of bench/run.sh).
#
# Installs wrk and lighttpd from Debian when missing, builds webserv
# (unless WEBSERV names a binary), writes both configurations into a
# temporary directory, checks that both answer 200 with the same body,
# warms both up, then runs `wrk -c CONNS -t THREADS -d DURATION` against
# each in turn, alternating (webserv, lighttpd, webserv, lighttpd, ...) for
# ROUNDS rounds, and prints every run and the median of each server with
# the ratio webserv/lighttpd, req/s and the server's CPU per request side
# by side. Every process it starts is stopped on exit.
#
#   bench/cgi.sh                       # defaults: ROUNDS=2 DURATION=10
#   ROUNDS=1 DURATION=2 bench/cgi.sh   # smoke run
#
# Environment: ROUNDS (2), DURATION (seconds per run, 10), THREADS (wrk
# threads, 2), CONNS (8), WARMUP (seconds, 2), WEBSERV (a webserv binary to
# use instead of building one), PORT (first port tried, 18490; the next
# free ones are used), KEEP_TMP=1 to keep the temporary directory,
# RESULTS_TSV (a file to append every run's figures to, in bench/run.sh's
# results format, which it passes so that its tables have the row).
#
# CPU per request is the server process's utime+stime+cutime+cstime
# (/proc/PID/stat) over a run divided by the requests wrk counted: the
# programs a server has reaped count as its own, for lighttpd as for
# webserv, and that is most of it (fork, exec and /bin/sh). "own" is
# utime+stime alone, the server's side of the work.
#
# Both servers run the script through /bin/sh (`cgi .sh /bin/sh;` and
# `cgi.assign = (".sh" => "/bin/sh")`), with access logs off and error
# logs to files. The figures are only as quiet as the machine: the header
# prints the load average, and wrk shares the CPUs with the servers.
set -euo pipefail

ROUNDS=${ROUNDS:-2}
DURATION=${DURATION:-10}
THREADS=${THREADS:-2}
CONNS=${CONNS:-8}
WARMUP=${WARMUP:-2}
PORT=${PORT:-18490}
RESULTS_TSV=${RESULTS_TSV:-}

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TMP=$(mktemp -d /tmp/webserv-cgi-bench.XXXXXX)
chmod 755 "$TMP"

PIDS=() # every background process started, stopped on exit

cleanup() {
	local pid
	for pid in "${PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${PIDS[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	if [[ ${KEEP_TMP:-} == 1 ]]; then
		echo "kept $TMP" >&2
	else
		rm -rf "$TMP"
	fi
}
trap cleanup EXIT

log() { echo "$*" >&2; }
die() {
	log "bench/cgi.sh: $*"
	exit 1
}

# ------------------------------------------------------------- tools

need=()
command -v wrk >/dev/null || need+=(wrk)
command -v lighttpd >/dev/null || need+=(lighttpd)
command -v curl >/dev/null || need+=(curl)
if ((${#need[@]})); then
	SUDO=
	[[ $(id -u) == 0 ]] || SUDO=sudo
	log "bench/cgi.sh: installing ${need[*]}"
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
LIGHTTPD=$(command -v lighttpd)

if [[ -n ${WEBSERV:-} ]]; then
	[[ -x $WEBSERV ]] || die "WEBSERV=$WEBSERV is not executable"
else
	log "bench/cgi.sh: building webserv"
	(cd "$REPO" && go build -o "$TMP/webserv" ./cmd/webserv)
	WEBSERV=$TMP/webserv
fi

# ------------------------------------------------------------- site

mkdir -p "$TMP/www/cgi-bin"
printf '%s\n' '#!/bin/sh' "printf 'Content-Type: text/plain\\r\\n\\r\\nhello\\n'" >"$TMP/www/cgi-bin/hello.sh"
chmod 755 "$TMP/www" "$TMP/www/cgi-bin" "$TMP/www/cgi-bin/hello.sh"

# free_port N: the first port from N on that nothing listens on.
free_port() {
	local p=$1
	while (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do
		p=$((p + 1))
	done
	echo "$p"
}
PORT_WS=$(free_port "$PORT")
PORT_LT=$(free_port $((PORT_WS + 1)))

cat >"$TMP/webserv.conf" <<EOF
error_log $TMP/webserv.err warn;
access_log off;
server {
    listen 127.0.0.1:$PORT_WS;
    root $TMP/www;
    location /cgi-bin/ { cgi .sh /bin/sh; }
}
EOF

cat >"$TMP/lighttpd.conf" <<EOF
server.bind          = "127.0.0.1"
server.port          = $PORT_LT
server.document-root = "$TMP/www"
server.errorlog      = "$TMP/lighttpd.err"
server.modules       = ( "mod_cgi" )
cgi.assign           = ( ".sh" => "/bin/sh" )
EOF

# start NAME: starts a server in the background; sets SPID.
start() {
	case $1 in
	webserv) "$WEBSERV" -c "$TMP/webserv.conf" >"$TMP/webserv.out" 2>&1 & ;;
	lighttpd) "$LIGHTTPD" -D -f "$TMP/lighttpd.conf" >"$TMP/lighttpd.out" 2>&1 & ;;
	esac
	SPID=$!
	PIDS+=("$SPID")
}

# check URL: one request; the status and body must be those of the script.
check() {
	local got i
	for i in $(seq 100); do
		got=$(curl -s --max-time 5 -w ' %{http_code}' "$1" 2>/dev/null) && break
		sleep 0.1 # the server is starting: nothing to poll but the port
	done
	[[ $got == $'hello\n 200' ]] || die "GET $1: got \"$got\", want \"hello\" and 200"
}

start webserv
WS_PID=$SPID
start lighttpd
LT_PID=$SPID
URL_WS=http://127.0.0.1:$PORT_WS/cgi-bin/hello.sh
URL_LT=http://127.0.0.1:$PORT_LT/cgi-bin/hello.sh
check "$URL_WS"
check "$URL_LT"

# cpu_ticks PID: "TOTAL OWN", in clock ticks: utime+stime+cutime+cstime
# and utime+stime (fields 14-17 of /proc/PID/stat). A reaped program's CPU
# is in cutime and cstime of the server that waited for it.
cpu_ticks() {
	local s f
	s=$(cat "/proc/$1/stat")
	read -ra f <<<"${s##*) }" # fields from 3 on: state is f[0]
	echo $((f[11] + f[12] + f[13] + f[14])) $((f[11] + f[12]))
}
CLK_TCK=$(getconf CLK_TCK)

# ------------------------------------------------------------- runs

echo "bench/cgi.sh: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "webserv:  $("$WEBSERV" -version 2>&1 | head -1)"
echo "lighttpd: $("$LIGHTTPD" -v 2>&1 | head -1)"
echo "wrk:      wrk -t$THREADS -c$CONNS -d${DURATION}s --latency URL; ROUNDS=$ROUNDS, alternating"
echo

for url in "$URL_WS" "$URL_LT"; do
	wrk -t"$THREADS" -c"$CONNS" -d"${WARMUP}s" "$url" >/dev/null
done

RESULTS=$TMP/results
: >"$RESULTS"
printf '%-6s %-9s %10s %10s %10s %8s %11s %9s\n' round server 'req/s' 'p50' 'p99' 'errors' 'CPU µs/req' '(own)'
for round in $(seq "$ROUNDS"); do
	for srv in webserv lighttpd; do
		if [[ $srv == webserv ]]; then url=$URL_WS pid=$WS_PID; else url=$URL_LT pid=$LT_PID; fi
		kill -0 "$pid" 2>/dev/null || die "$srv is not running"
		out=$TMP/wrk.$srv.$round
		read -r c0 o0 < <(cpu_ticks "$pid")
		wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency "$url" >"$out"
		read -r c1 o1 < <(cpu_ticks "$pid")
		rps=$(awk '/^Requests\/sec:/ {print $2}' "$out")
		reqs=$(awk '/ requests in / {print $1}' "$out")
		cpu=$(awk -v t=$((c1 - c0)) -v hz="$CLK_TCK" -v n="$reqs" 'BEGIN { if (n > 0) printf "%.1f", t * 1e6 / hz / n }')
		own=$(awk -v t=$((o1 - o0)) -v hz="$CLK_TCK" -v n="$reqs" 'BEGIN { if (n > 0) printf "%.1f", t * 1e6 / hz / n }')
		p50=$(awk '$1 == "50%" {print $2}' "$out")
		p99=$(awk '$1 == "99%" {print $2}' "$out")
		# Non-2xx answers and socket errors: a run with any is suspect.
		errs=$(awk '/Non-2xx/ {n += $NF} /Socket errors/ {gsub(",", ""); n += $4 + $6 + $8 + $10} END {print n + 0}' "$out")
		printf '%-6s %-9s %10s %10s %10s %8s %11s %9s\n' "$round" "$srv" "$rps" "$p50" "$p99" "$errs" "$cpu" "$own"
		printf '%s\t%s\t%s\t%s\t%s\n' "$srv" "$rps" "$errs" "$cpu" "$own" >>"$RESULTS"
		if [[ -n $RESULTS_TSV ]]; then
			awk -v srv="$srv" -v rps="$rps" -v cpu="$cpu" -v errs="$errs" '
				function us(v) {
					if (v ~ /us$/) return v + 0
					if (v ~ /ms$/) return v * 1000
					if (v ~ /s$/) return v * 1e6
					return v + 0
				}
				$1 == "50%" { p50 = us($2) }
				$1 == "99%" { p99 = us($2) }
				END {
					printf "s6|req/s\t%s\t%.0f\n", srv, rps
					printf "s6|p50 µs\t%s\t%.0f\n", srv, p50
					printf "s6|p99 µs\t%s\t%.0f\n", srv, p99
					printf "s6|CPU µs/req\t%s\t%s\n", srv, cpu
					printf "s6|errors\t%s\t%d\n", srv, errs
				}' "$out" >>"$RESULTS_TSV"
		fi
	done
done

median() { sort -g | awk '{v[NR] = $1} END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
col() { awk -F'\t' -v s="$1" -v c="$2" '$1 == s {print $c}' "$RESULTS" | median; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
ws=$(col webserv 2) lt=$(col lighttpd 2)
wc=$(col webserv 4) lc=$(col lighttpd 4)
wo=$(col webserv 5) lo=$(col lighttpd 5)
errs=$(awk -F'\t' '{n += $3} END {print n + 0}' "$RESULTS")
echo
printf 'median req/s: webserv %s, lighttpd %s, ratio webserv/lighttpd %s\n' "$ws" "$lt" "$(ratio "$ws" "$lt")"
printf 'median CPU µs/req: webserv %s, lighttpd %s, ratio %s (own, programs apart: %s, %s, ratio %s)\n' \
	"$wc" "$lc" "$(ratio "$wc" "$lc")" "$wo" "$lo" "$(ratio "$wo" "$lo")"
((errs == 0)) || echo "WARNING: $errs errors or non-2xx responses in the runs above"
