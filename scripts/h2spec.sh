#!/usr/bin/env bash
# h2spec.sh — run the h2spec conformance suite (RFC 9113, RFC 7541;
# github.com/summerwind/h2spec) against webserv's HTTP/2 engine, over h2c
# with prior knowledge and over TLS (ALPN h2, a generated self-signed
# certificate), and print the scores (issue 20: 145/145 on both).
#
# Usage:   scripts/h2spec.sh            (run from anywhere in the repo)
#
# Environment:
#   H2SPEC   the h2spec binary (default: h2spec on the PATH, else
#            /usr/local/bin/h2spec, else it is installed with
#            `go install github.com/summerwind/h2spec/cmd/h2spec@latest`
#            into $(go env GOPATH)/bin).
#
# The server is internal/h2's TestH2Spec: it serves the engine's test
# handler on 127.0.0.1 (a free port), runs
#   h2spec -h 127.0.0.1 -p PORT           (h2c)
#   h2spec -h 127.0.0.1 -p PORT -t -k     (TLS)
# and fails on any failed or skipped case; -h2spec.show prints each
# report in full.
#
# Exit status: 0 when both runs are clean, 1 otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=${H2SPEC:-}
if [[ -z $bin ]]; then
	if command -v h2spec >/dev/null; then
		bin=$(command -v h2spec)
	elif [[ -x /usr/local/bin/h2spec ]]; then
		bin=/usr/local/bin/h2spec
	else
		echo "h2spec.sh: installing h2spec" >&2
		go install github.com/summerwind/h2spec/cmd/h2spec@latest
		bin=$(go env GOPATH)/bin/h2spec
	fi
fi

log=$(mktemp -t h2spec.XXXXXX)
trap 'rm -f "$log"' EXIT
status=0
go test -count=1 -run '^TestH2Spec$' -v ./internal/h2 -args -h2spec="$bin" -h2spec.show >"$log" 2>&1 || status=1
# The failures (if any), then the score lines.
sed -n '/Failures:/,/tests, .* failed/p' "$log"
grep -E 'h2spec (h2c|tls): [0-9]+ tests' "$log" | sed -E 's/^ *h2spec_test.go:[0-9]+: //' | sort -u
if ((status)); then
	grep -E '^(--- FAIL|FAIL|panic)' "$log" || true
	echo "h2spec.sh: FAILED" >&2
fi
exit $status
