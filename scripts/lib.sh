# lib.sh — shared plumbing for the scripts in this folder: a temporary
# directory removed on exit, the server stopped on exit, Debian tools
# installed on demand, webserv built and started on a free loopback port.
# Source it from a script that has `set -euo pipefail`:
#
#	. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#	ws_init siege                 # sets repo, tmp; traps EXIT
#	ws_need siege                 # apt-get install siege if missing
#	ws_build                      # go build -o "$tmp/webserv" ./cmd/webserv
#	write_conf() { cat >"$tmp/webserv.conf" <<EOF ... listen 127.0.0.1:$1 ... EOF; }
#	ws_start write_conf           # sets port and pid, or exits 1
#
# The server's stderr goes to $tmp/server.log.

ws_init() {
	repo=$(cd "$(dirname "${BASH_SOURCE[1]}")/.." && pwd)
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
	pid=
	port=
	trap ws_cleanup EXIT
}

ws_stop() {
	if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	pid=
}

ws_cleanup() {
	ws_stop
	rm -rf "$tmp"
}

# ws_need PACKAGE [COMMAND]: install a Debian package unless COMMAND (the
# package name by default) is on the PATH.
ws_need() {
	command -v "${2:-$1}" >/dev/null && return 0
	local sudo=
	((EUID == 0)) || sudo=sudo
	echo "installing $1"
	$sudo apt-get install -y "$1" >/dev/null 2>&1 ||
		{ $sudo apt-get update >/dev/null && $sudo apt-get install -y "$1" >/dev/null; }
}

ws_build() {
	echo "building ./cmd/webserv"
	(cd "$repo" && go build -o "$tmp/webserv" ./cmd/webserv)
}

# ws_start WRITE_CONF: pick a free port, call WRITE_CONF PORT (it writes
# $tmp/webserv.conf), start the server and wait until it accepts; retried
# if the server loses a race for the port.
ws_start() {
	local attempt
	for attempt in $(seq 1 20); do
		port=$((20000 + RANDOM % 40000))
		if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			continue # taken
		fi
		"$1" "$port"
		"$tmp/webserv" -c "$tmp/webserv.conf" 2>"$tmp/server.log" &
		pid=$!
		for _ in $(seq 1 100); do # up to 5 s
			if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
				return 0
			fi
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.05
		done
		ws_stop
	done
	echo "server did not start:" >&2
	cat "$tmp/server.log" >&2
	exit 1
}

# status_kib FIELD: a /proc/PID/status field of the server (VmHWM, VmRSS)
# in KiB.
status_kib() { awk -v f="$1:" '$1 == f { print $2 }' "/proc/$pid/status"; }

# cpu_ticks: the server's user + system CPU time in clock ticks (proc(5):
# fields 14 and 15 of /proc/PID/stat; the command name has no spaces).
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }

# ws_upload_conf METHODS MAX_BODY PORT: the configuration the upload
# scripts share — a root www/ and an upload location /up/ storing into
# store/ (both under $tmp) — written to $tmp/webserv.conf. Use it as
#	write_conf() { ws_upload_conf "GET POST" 0 "$1"; }
ws_upload_conf() {
	cat >"$tmp/webserv.conf" <<EOF
error_log stderr warn;
server {
    listen 127.0.0.1:$3;
    root www;
    location /up/ {
        methods $1;
        upload_store store;
        client_max_body_size $2;
    }
}
EOF
}
