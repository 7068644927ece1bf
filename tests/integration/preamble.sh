# Sourced by the PostgreSQL tests, with their arguments (BIN SCHEMA
# [DATA]), after `set -euo pipefail`: sets bin, schema and data, starts a
# throwaway PostgreSQL (pg.sh), and gives q (one query's rows) and eq
# (NAME GOT WANT). eq calls the test's own fail, defined later.
bin=$1
schema=$2
data=${3:-}
. "$(dirname "${BASH_SOURCE[0]}")/pg.sh"
pg_start
q() { pg_psql -c "$1"; }
eq() { [ "$2" = "$3" ] || fail "$1: got '$2', expected '$3'"; }
