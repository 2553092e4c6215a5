#!/bin/sh
# Runs cmocka test programs one after another from the repository root and
# ends with the plain summary line "N passed, M failed", over both back ends.
# A program that crashes or exits non-zero without reporting a failure counts
# as one failure; a test whose setup failed (cmocka's "[  ERROR   ] NAME") counts
# as one failure.
#
# An entry pg:PROGRAM runs PROGRAM on PostgreSQL: with RENKEI_TEST_PG set to
# the base DSN of a throw-away cluster (scripts/pg.sh) that this script
# starts, on a free loopback port, before the first such entry and removes at
# the end. When RENKEI_TEST_PG is set already, that cluster is used and left
# alone. Every other entry runs on SQLite, with RENKEI_TEST_PG unset. When no
# cluster can be started, each pg: entry counts as one failure.
# usage: run-tests.sh BUILD_DIR [pg:]PROGRAM...
set -u
build=$1
shift
here=$(cd "$(dirname "$0")" && pwd)
passed=0
failed=0
log=$(mktemp)
pg_dir=
pg_dsn=${RENKEI_TEST_PG:-}
pg_tried=
cleanup() {
	rm -f "$log"
	if [ -n "$pg_dir" ]; then
		sh "$here/pg.sh" stop "$pg_dir" || echo "!! could not remove the cluster in $pg_dir"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Starts the throw-away cluster (once); its DSN in pg_dsn, "" when it failed.
pg_start() {
	[ -n "$pg_tried" ] && return
	pg_tried=1
	[ -n "$pg_dsn" ] && return
	# Another run may take a port between the check and the start: try on.
	from=55432
	for attempt in 1 2 3 4 5; do
		port=$(sh "$here/pg.sh" freeport "$from") || break
		pg_dir=$(mktemp -d "${TMPDIR:-/tmp}/renkei-pg.XXXXXX") || break
		if pg_dsn=$(sh "$here/pg.sh" start "$pg_dir" "$port"); then
			echo "== PostgreSQL: a throw-away cluster at $pg_dsn (in $pg_dir)"
			return
		fi
		pg_dsn=
		sh "$here/pg.sh" stop "$pg_dir" 2>/dev/null || rm -rf "$pg_dir"
		pg_dir=
		from=$((port + 1))
		echo "!! PostgreSQL did not start on port $port (attempt $attempt)"
	done
}

for entry in "$@"; do
	case $entry in
	pg:*)
		t=${entry#pg:}
		backend=postgresql
		pg_start
		;;
	*)
		t=$entry
		backend=sqlite
		;;
	esac
	echo "== $t [$backend]"
	if [ "$backend" = postgresql ] && [ -z "$pg_dsn" ]; then
		echo "!! $t: no PostgreSQL cluster: counted as one failure"
		failed=$((failed + 1))
		continue
	fi
	if [ "$backend" = postgresql ]; then
		RENKEI_TEST_PG=$pg_dsn RENKEI_BIN="$build/renkei" "$t" tests/data >"$log" 2>&1
	else
		env -u RENKEI_TEST_PG RENKEI_BIN="$build/renkei" "$t" tests/data >"$log" 2>&1
	fi
	rc=$?
	cat "$log"
	p=$(sed -n 's/^\[  PASSED  \] \([0-9][0-9]*\) test.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
	f=$(sed -n 's/^\[  FAILED  \] \([0-9][0-9]*\) test.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
	e=$(grep -c '^\[  ERROR   \] [^-]' "$log")
	f=$((f + e))
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "!! $t exited with status $rc without a cmocka failure report: counted as one failure"
		f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
done
echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
