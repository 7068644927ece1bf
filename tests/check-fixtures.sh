#!/usr/bin/env bash
# Parser golden tests: each tests/data/<case>.eml is parsed and its JSON
# compared with tests/data/<case>.expected. Update an expectation only on
# purpose: TG_UPDATE_EXPECTED=1 rewrites them.
set -euo pipefail

bin=$1
data=$2
fail=0 n=0
for eml in "$data"/*.eml; do
	exp=${eml%.eml}.expected
	[ -f "$exp" ] || [ "${TG_UPDATE_EXPECTED:-}" = 1 ] || continue
	n=$((n + 1))
	got=$("$bin" parse "$eml")
	if [ "${TG_UPDATE_EXPECTED:-}" = 1 ]; then
		printf '%s\n' "$got" >"$exp"
	elif [ "$got" != "$(cat "$exp")" ]; then
		echo "FAIL: $(basename "$eml")"
		diff <(printf '%s\n' "$got" | tr ',' '\n') <(tr ',' '\n' <"$exp") || true
		fail=$((fail + 1))
	fi
done
if [ "$n" -eq 0 ]; then
	echo "no fixtures with .expected found in $data"
	exit 1
fi
echo "$n fixtures, $fail failed"
[ "$fail" -eq 0 ]
