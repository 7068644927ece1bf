#!/usr/bin/env bash
# Quick start: install what ticketgate needs, build it, and run it on the
# sample mail in tests/data. Safe to run again.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top"

"$top/contrib/install-deps.sh"
cmake -S "$top" -B "$top/build/quickstart" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$top/build/quickstart" -j"$(nproc)" >/dev/null

echo "== ticketgate parse tests/data/*.eml"
for f in "$top"/tests/data/*.eml; do
	echo "-- ${f#"$top"/}"
	"$top/build/quickstart/ticketgate" parse "$f"
done
