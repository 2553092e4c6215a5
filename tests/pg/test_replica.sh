#!/bin/sh
# Reads through a hot standby (issue #4, part 4): a standby of the test
# cluster made with scripts/pg.sh standby (pg_basebackup -R -X stream), a
# demo hub on the primary, `renkei serve --read-database STANDBY`, and:
#   - once the standby has caught up, another user reads what was posted, and
#     the object queries are counted as the standby's in /metrics;
#   - with replay paused on the standby, the writer (ipa-analyst) reads its
#     own new objects and its status at once (from the primary), while
#     another party's user (mod-analyst, who may read them: TLP:GREEN in
#     threat-sharing, whose default scope is the parties) does not see them
#     yet (from the standby); a `next` cursor that points past what the
#     standby has is served from the primary;
#   - once replay resumes, the other user sees them, from the standby, and
#     so does the writer.
# Prints cmocka-like lines for scripts/run-tests.sh and exits non-zero on a
# failure. Needs $RENKEI_TEST_PG (the primary's base DSN, on 127.0.0.1) and
# $RENKEI_BIN; the runner's data directory argument is ignored.
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
bin=${RENKEI_BIN:-$repo/build/renkei}
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac
base=${RENKEI_TEST_PG:-}
TAXII='application/taxii+json;version=2.1'
TS=/kyotei-2024/collections/threat-sharing
GREEN=marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb
WAIT_S=30

passed=0
failed=0
tmp=
sb_dir=
db=
pid=
admin=

cleanup() {
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null
		i=0
		while kill -0 "$pid" 2>/dev/null && [ "$i" -lt 100 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	fi
	[ -n "$sb_dir" ] && sh "$repo/scripts/pg.sh" stop "$sb_dir"
	[ -n "$db" ] && psql -X -q -d "$admin" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null
	[ -n "$tmp" ] && rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A failure before the tests: one cmocka "error", counted by the runner.
setup_error() {
	echo "[  ERROR   ] setup: $*"
	[ -n "$tmp" ] && [ -f "$tmp/serve.log" ] && tail -n 30 "$tmp/serve.log"
	exit 2
}

# "base" + "db", before any ?options: postgresql://u@h:p + x = .../x
dsn() {
	b=${1%%\?*}
	q=
	case $1 in *\?*) q="?${1#*\?}" ;; esac
	echo "${b%/}/$2$q"
}

sql() { # DSN SQL: rows, -At
	psql -X -q -At -v ON_ERROR_STOP=1 -d "$1" -c "$2"
}

echo "[==========] Running 5 test(s)."
[ -n "$base" ] || setup_error "RENKEI_TEST_PG is not set"
[ -x "$bin" ] || setup_error "no renkei binary at $bin"
hostport=${base#*://}
hostport=${hostport#*@}
hostport=${hostport%%/*}
hostport=${hostport%%\?*}
pport=${hostport##*:}
case $pport in '' | *[!0-9]*) setup_error "no port in RENKEI_TEST_PG=$base" ;; esac

tmp=$(mktemp -d "${TMPDIR:-/tmp}/renkei-replica.XXXXXX") || setup_error "mktemp"
admin=$(dsn "$base" postgres)
db=renkei_replica_$$
sql "$admin" "CREATE DATABASE $db" >/dev/null || { db=; setup_error "CREATE DATABASE failed"; }
primary=$(dsn "$base" "$db")
data=$tmp/hub
mkdir -p "$data"
printf '# test_replica.sh\ndatabase = %s\n' "$primary" >"$data/renkei.conf"
"$bin" init --data "$data" --demo "$repo/examples/demo/demo.json" >"$tmp/init.log" 2>&1 ||
	setup_error "renkei init on $primary failed: $(tail -n 3 "$tmp/init.log")"

# The standby's directory must be the postgres user's when we are root: not
# inside $tmp (mode 0700, root's).
sport=$(sh "$repo/scripts/pg.sh" freeport $((pport + 1))) || setup_error "no free port"
sb_dir=$(mktemp -d "${TMPDIR:-/tmp}/renkei-standby.XXXXXX") || setup_error "mktemp"
sbase=$(sh "$repo/scripts/pg.sh" standby "$pport" "$sb_dir" "$sport") ||
	setup_error "pg.sh standby $pport $sb_dir $sport failed"
standby=$(dsn "$sbase" "$db")
[ "$(sql "$standby" 'SELECT pg_is_in_recovery()')" = t ] || setup_error "$standby is not a standby"

"$bin" serve --data "$data" --port 0 --port-file "$tmp/port" --read-database "$standby" \
	>"$tmp/serve.log" 2>&1 &
pid=$!
port=
i=0
while [ "$i" -lt 300 ]; do
	if [ -s "$tmp/port" ]; then
		port=$(tr -dc '0-9' <"$tmp/port")
		[ -n "$port" ] && curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz" 2>/dev/null && break
	fi
	kill -0 "$pid" 2>/dev/null || { pid=; setup_error "renkei serve exited at start"; }
	sleep 0.1
	i=$((i + 1))
done
[ "$i" -lt 300 ] || setup_error "renkei serve did not become healthy"
url=http://127.0.0.1:$port

creds=$data/demo-credentials.txt
tokA=$(awk '$1 == "ipa-analyst" {print $4}' "$creds")
tokB=$(awk '$1 == "mod-analyst" {print $4}' "$creds")
[ -n "$tokA" ] && [ -n "$tokB" ] || setup_error "no demo tokens in $creds"

# ---- helpers ----

# GET as TOKEN: the body in $tmp/body, the status on stdout.
get() {
	curl -sS -o "$tmp/body" -w '%{http_code}' -H "Accept: $TAXII" \
		-H "Authorization: Bearer $1" "$url$2"
}

# POSTs N new TLP:GREEN indicators as TOKEN to threat-sharing; their ids
# (comma-separated) in $ids, the status id in $status_id; 0 on a 202.
post_green() {
	ids=
	objs=
	k=0
	while [ "$k" -lt "$2" ]; do
		id=indicator--$(cat /proc/sys/kernel/random/uuid)
		ids=${ids:+$ids,}$id
		objs=${objs:+$objs,}$(printf '{"type":"indicator","spec_version":"2.1","id":"%s","created":"2025-12-01T00:00:00.000Z","modified":"2025-12-01T00:00:00.000Z","name":"replica test %s","indicator_types":["malicious-activity"],"pattern":"[ipv4-addr:value = '"'"'198.51.100.9'"'"']","pattern_type":"stix","valid_from":"2025-12-01T00:00:00.000Z","object_marking_refs":["%s"]}' "$id" "$k" "$GREEN")
		k=$((k + 1))
	done
	printf '{"objects":[%s]}' "$objs" >"$tmp/post.json"
	code=$(curl -sS -o "$tmp/body" -w '%{http_code}' -H "Accept: $TAXII" \
		-H "Content-Type: $TAXII" -H "Authorization: Bearer $1" \
		--data-binary @"$tmp/post.json" "$url$TS/objects/")
	status_id=$(json_get id <"$tmp/body")
	[ "$code" = 202 ] || {
		echo "POST: $code $(head -c 300 "$tmp/body")"
		return 1
	}
}

json_get() { # KEY < JSON: the value ("" when absent)
	python3 -c 'import json,sys
try:
    v = json.load(sys.stdin).get(sys.argv[1], "")
except Exception:
    v = ""
print(json.dumps(v) if isinstance(v, bool) else v)' "$1"
}

# How many of the ids (comma-separated) the body's objects hold.
count_ids() {
	python3 -c 'import json,sys
try:
    got = {o.get("id") for o in json.load(sys.stdin).get("objects", [])}
except Exception:
    got = set()
print(sum(1 for i in sys.argv[1].split(",") if i in got))' "$1" <"$tmp/body"
}

reads() { # primary|standby: renkei_store_reads_total{server="..."}
	v=$(curl -sS "$url/metrics" | awk -v s="renkei_store_reads_total{server=\"$1\"}" '$1 == s {print $2}')
	echo "${v:--1}"
}

# GET objects?match[id]=IDS as TOKEN until N of them are there (or WAIT_S).
wait_sees() {
	t=0
	while [ "$t" -lt $((WAIT_S * 5)) ]; do
		c=$(get "$1" "$TS/objects/?match%5Bid%5D=$2")
		[ "$c" = 200 ] && [ "$(count_ids "$2")" -eq "$3" ] && return 0
		sleep 0.2
		t=$((t + 1))
	done
	echo "after ${WAIT_S}s: $c $(head -c 300 "$tmp/body")"
	return 1
}

run() { # NAME FUNCTION
	echo "[ RUN      ] $1"
	if out=$($2 2>&1); then
		[ -n "$out" ] && echo "$out"
		echo "[       OK ] $1"
		passed=$((passed + 1))
	else
		echo "$out"
		echo "[  FAILED  ] $1"
		failed=$((failed + 1))
	fi
}

fail() {
	echo "$*"
	return 1
}

# ---- the tests ----

t_standby_serves_reads() {
	post_green "$tokA" 3 || return 1
	r_ids=$ids
	wait_sees "$tokB" "$r_ids" 3 || fail "mod-analyst never saw ipa-analyst's objects" || return 1
	p0=$(reads primary)
	s0=$(reads standby)
	[ "$s0" -ge 0 ] || fail "no renkei_store_reads_total{server=\"standby\"} in /metrics" || return 1
	for k in 1 2 3; do
		c=$(get "$tokB" "$TS/objects/?match%5Bid%5D=$r_ids")
		[ "$c" = 200 ] && [ "$(count_ids "$r_ids")" -eq 3 ] || fail "read $k: $c" || return 1
	done
	p1=$(reads primary)
	s1=$(reads standby)
	[ "$s1" -ge $((s0 + 3)) ] || fail "standby reads $s0 -> $s1 after 3 reads by another user" || return 1
	[ "$p1" -eq "$p0" ] || fail "primary reads $p0 -> $p1 after reads the standby could serve" || return 1
}

t_writer_reads_own_writes() {
	sql "$standby" 'SELECT pg_wal_replay_pause()' >/dev/null || fail "pg_wal_replay_pause failed" || return 1
	t=0
	while [ "$(sql "$standby" 'SELECT pg_get_wal_replay_pause_state()')" != paused ]; do
		[ "$t" -lt 100 ] || fail "replay did not pause" || return 1
		sleep 0.1
		t=$((t + 1))
	done
	post_green "$tokA" 3 || return 1
	echo "$ids" >"$tmp/paused_ids"
	echo "$status_id" >"$tmp/paused_status"
	p0=$(reads primary)
	c=$(get "$tokA" "$TS/objects/?match%5Bid%5D=$ids")
	n=$(count_ids "$ids")
	[ "$c" = 200 ] && [ "$n" -eq 3 ] ||
		fail "the writer's own GET: $c, $n of 3 new objects: $(head -c 300 "$tmp/body")" || return 1
	c=$(get "$tokA" "/kyotei-2024/status/$status_id/")
	st=$(json_get status <"$tmp/body")
	sc=$(json_get success_count <"$tmp/body")
	[ "$c" = 200 ] && [ "$st" = complete ] && [ "$sc" = 3 ] ||
		fail "the writer's status GET: $c $(head -c 300 "$tmp/body")" || return 1
	p1=$(reads primary)
	[ "$p1" -gt "$p0" ] || fail "primary reads $p0 -> $p1: the writer was not served by the primary" || return 1
}

t_others_wait_for_standby() {
	ids=$(cat "$tmp/paused_ids" 2>/dev/null) || return 1
	s0=$(reads standby)
	c=$(get "$tokB" "$TS/objects/?match%5Bid%5D=$ids")
	n=$(count_ids "$ids")
	[ "$c" = 200 ] || fail "mod-analyst's GET: $c $(head -c 300 "$tmp/body")" || return 1
	[ "$n" -eq 0 ] || fail "mod-analyst saw $n of the new objects with replay paused" || return 1
	s1=$(reads standby)
	[ "$s1" -gt "$s0" ] || fail "standby reads $s0 -> $s1: mod-analyst was not served by the standby" || return 1
}

t_cursor_past_standby() {
	ids=$(cat "$tmp/paused_ids" 2>/dev/null) || return 1
	# The writer's first page (from the primary) ends in a cursor at a row
	# the paused standby does not have; the other user's next page with it
	# must come from the primary, or it would be empty.
	c=$(get "$tokA" "$TS/objects/?limit=1&match%5Bid%5D=$ids")
	next=$(json_get next <"$tmp/body")
	[ "$c" = 200 ] && [ -n "$next" ] || fail "the writer's page: $c $(head -c 300 "$tmp/body")" || return 1
	p0=$(reads primary)
	c=$(get "$tokB" "$TS/objects/?limit=1&match%5Bid%5D=$ids&next=$next")
	n=$(count_ids "$ids")
	p1=$(reads primary)
	[ "$c" = 200 ] && [ "$n" -eq 1 ] ||
		fail "mod-analyst's page after a cursor newer than the standby: $c, $n object(s): $(head -c 300 "$tmp/body")" ||
		return 1
	[ "$p1" -gt "$p0" ] || fail "primary reads $p0 -> $p1: the page was not served by the primary" || return 1
}

t_replay_resumes() {
	ids=$(cat "$tmp/paused_ids" 2>/dev/null) || return 1
	sql "$standby" 'SELECT pg_wal_replay_resume()' >/dev/null || fail "pg_wal_replay_resume failed" || return 1
	s0=$(reads standby)
	wait_sees "$tokB" "$ids" 3 || fail "mod-analyst never saw the new objects after replay resumed" || return 1
	s1=$(reads standby)
	[ "$s1" -gt "$s0" ] || fail "standby reads $s0 -> $s1 while mod-analyst waited" || return 1
	# The standby has the writer's last write now: its reads go there too.
	c=$(get "$tokA" "$TS/objects/?match%5Bid%5D=$ids")
	s2=$(reads standby)
	[ "$c" = 200 ] && [ "$(count_ids "$ids")" -eq 3 ] || fail "the writer's GET: $c" || return 1
	[ "$s2" -gt "$s1" ] || fail "standby reads $s1 -> $s2: the writer still read from the primary" || return 1
}

run t_standby_serves_reads t_standby_serves_reads
run t_writer_reads_own_writes t_writer_reads_own_writes
run t_others_wait_for_standby t_others_wait_for_standby
run t_cursor_past_standby t_cursor_past_standby
run t_replay_resumes t_replay_resumes
# Never leave the standby paused for the cleanup.
sql "$standby" 'SELECT pg_wal_replay_resume()' >/dev/null 2>&1

echo "[==========] $((passed + failed)) test(s) run."
echo "[  PASSED  ] $passed test(s)."
if [ "$failed" -gt 0 ]; then
	echo "[  FAILED  ] $failed test(s)."
	echo "---- end of the server's log ----"
	tail -n 40 "$tmp/serve.log"
	exit 1
fi
exit 0
