#!/bin/sh
# Runs each libFuzzer target for SECONDS on a copy of its committed seed
# corpus (fuzz/corpus/NAME, NAME being the target without "fuzz_"), so that
# the committed corpus only changes by hand. Fails on the first crash.
# usage: fuzz.sh SECONDS TARGET...
set -eu
secs=$1
shift
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
for t in "$@"; do
	name=$(basename "$t" | sed 's/^fuzz_//')
	mkdir -p "$work/$name"
	if [ -d "fuzz/corpus/$name" ]; then
		cp -r "fuzz/corpus/$name/." "$work/$name/"
	fi
	echo "== $t for ${secs}s"
	"$t" -max_total_time="$secs" -print_final_stats=1 -artifact_prefix="$work/" "$work/$name" 2>"$work/log" || {
		tail -50 "$work/log"
		echo "fuzz target $t failed; the crashing input is in the log above"
		exit 1
	}
	grep -E 'stat::number_of_executed_units|Done' "$work/log" | tail -2
done
