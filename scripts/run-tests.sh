#!/bin/sh
# Runs cmocka test programs one after another from the repository root and
# ends with the plain summary line "N passed, M failed". A program that
# crashes or exits non-zero without reporting a failure counts as one failure.
# usage: run-tests.sh BUILD_DIR PROGRAM...
set -u
build=$1
shift
passed=0
failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT INT TERM
for t in "$@"; do
	echo "== $t"
	RENKEI_BIN="$build/renkei" "$t" tests/data >"$log" 2>&1
	rc=$?
	cat "$log"
	p=$(sed -n 's/^\[  PASSED  \] \([0-9][0-9]*\) test.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
	f=$(sed -n 's/^\[  FAILED  \] \([0-9][0-9]*\) test.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
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
