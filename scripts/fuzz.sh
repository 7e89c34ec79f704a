#!/usr/bin/env bash
# fuzz.sh — run every native Go fuzz target in the module, one after the
# other, each for DURATION, and print a summary (issue 7).
#
# Usage:   scripts/fuzz.sh [DURATION]     (run from anywhere in the repo)
#          DURATION is a -fuzztime value: 10m (default), 30s, 1h, 500000x.
#
# Environment:
#   FUZZ_TARGETS  space-separated "Target@./pkg" list to run instead of all
#                 of them (e.g. "FuzzParse@./internal/http1").
#   FUZZ_SAVE     copy up to this many of the inputs the engine found
#                 interesting (its cache) into the package's
#                 testdata/fuzz/Target/ seed corpus afterwards (default 0).
#   FUZZ_LOGDIR   where the per-target logs go (default: a temporary dir).
#
# The targets are found by grepping `func FuzzXxx(` in *_test.go files, so a
# new target is picked up without editing this script. Each runs as
#   go test -run='^$' -fuzz='^Target$' -fuzztime=DURATION ./pkg
# A crasher makes go write it to ./pkg/testdata/fuzz/Target/ (it is then a
# regression seed that plain `go test` replays); the script reports its path.
#
# Exit status: 0 when every target ran clean, 1 when any failed.
set -euo pipefail

duration=${1:-10m}
cd "$(dirname "$0")/.."
logdir=${FUZZ_LOGDIR:-$(mktemp -d -t webserv-fuzz.XXXXXX)}
mkdir -p "$logdir"
save=${FUZZ_SAVE:-0}

if [[ -n ${FUZZ_TARGETS:-} ]]; then
	read -r -a targets <<<"$FUZZ_TARGETS"
else
	targets=()
	while IFS=: read -r file _ line; do
		name=${line#func }
		name=${name%%(*}
		targets+=("$name@./$(dirname "${file#./}")")
	done < <(grep -rn --include='*_test.go' -E '^func Fuzz[A-Za-z0-9_]*\(' . | sort)
fi
if ((${#targets[@]} == 0)); then
	echo "fuzz.sh: no fuzz targets found" >&2
	exit 1
fi

cache=$(go env GOCACHE)/fuzz/$(go list -m)
echo "fuzz.sh: ${#targets[@]} targets, $duration each; logs in $logdir"
summary=()
failed=0
for t in "${targets[@]}"; do
	name=${t%@*}
	pkg=${t#*@}
	log=$logdir/$(echo "${pkg#./}" | tr / _)_$name.log
	printf '%-14s %-22s ' "$name" "$pkg"
	start=$SECONDS
	if go test -run='^$' -fuzz="^$name\$" -fuzztime="$duration" "$pkg" >"$log" 2>&1; then
		result=ok
	else
		result=FAIL
		failed=1
	fi
	secs=$((SECONDS - start))
	# The engine's last status line: "fuzz: elapsed: 20s, execs: 123 (6/sec), new interesting: 4 (total: 50)".
	# The rate in the very last line is 0/sec (the engine stopping), so drop it.
	stats=$(grep -E '^fuzz: elapsed' "$log" | tail -n 1 | sed -E 's/^fuzz: elapsed: [^,]*, //; s/ \([0-9]+\/sec\)//' || true)
	line="$result ${secs}s ${stats:-no engine output}"
	if [[ $result == FAIL ]]; then
		crasher=$(grep -oE 'testdata/fuzz/[^ ]+' "$log" | head -n 1 || true)
		line="$line; crasher: ${crasher:+$pkg/}${crasher:-see $log}"
	fi
	echo "$line"
	summary+=("$(printf '%-14s %-22s %s' "$name" "$pkg" "$line")")

	if ((save > 0)) && [[ -d $cache/${pkg#./}/$name ]]; then
		dest=$pkg/testdata/fuzz/$name
		mkdir -p "$dest"
		n=0
		# Newest first: the inputs found last are the ones that reached new code.
		while IFS= read -r f; do
			[[ -e $dest/$(basename "$f") ]] && continue
			cp "$f" "$dest/"
			n=$((n + 1))
			((n >= save)) && break
		done < <(ls -t "$cache/${pkg#./}/$name"/* 2>/dev/null)
		echo "               saved $n seeds to $dest"
	fi
done

echo
echo "summary (fuzztime $duration per target):"
printf '  %s\n' "${summary[@]}"
if ((failed)); then
	echo "fuzz.sh: FAILED — see the logs in $logdir" >&2
fi
exit $failed
