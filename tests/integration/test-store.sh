#!/usr/bin/env bash
# The store's statements sent in one round trip (store-calls.c) against a
# throwaway PostgreSQL, driven by store-check.
set -euo pipefail
. "$(dirname "$0")/pg.sh"
pg_start
"$1" "host=$PG_DIR port=$PG_PORT dbname=ticketgate_test user=postgres"
echo "store: ok"
