#!/bin/sh
# Runs the independent TAXII 2.1 conformance check (taxii_client.py) against a
# fresh demo hub: init --demo in a temporary directory, serve on an ephemeral
# port, check as ipa-analyst (org ipa) with sdf-analyst (org jsdf-cyber) as the
# other organisation, stop the server, clean up, exit with the check's status.
# With $RENKEI_TEST_PG (a PostgreSQL base DSN, postgresql://USER@HOST:PORT),
# the hub lives in a fresh database there, dropped at the end.
# usage: run.sh [RENKEI_BINARY]   (default: $RENKEI_BIN, then ./build/renkei)
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)

bin=${1:-}
# The project's runner passes a data directory as $1 and the binary in RENKEI_BIN.
if [ -z "$bin" ] || [ ! -x "$bin" ] || [ -d "$bin" ]; then
	bin=${RENKEI_BIN:-$repo/build/renkei}
fi
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac
if [ ! -x "$bin" ]; then
	echo "run.sh: no renkei binary at $bin" >&2
	exit 2
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/renkei-conformance.XXXXXX") || exit 2
pid=
pg_db=
pg_admin=
cleanup() {
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null
		i=0
		while kill -0 "$pid" 2>/dev/null && [ "$i" -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	fi
	if [ -n "$pg_db" ]; then
		psql -X -q -d "$pg_admin" -c "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null ||
			echo "run.sh: could not drop the database $pg_db" >&2
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

data=$tmp/hub
if [ -n "${RENKEI_TEST_PG:-}" ]; then
	# base + a database name, before any ?options.
	pg_base=${RENKEI_TEST_PG%%\?*}
	pg_opts=
	case $RENKEI_TEST_PG in *\?*) pg_opts="?${RENKEI_TEST_PG#*\?}" ;; esac
	pg_admin=${pg_base%/}/postgres$pg_opts
	if ! psql -X -q -v ON_ERROR_STOP=1 -d "$pg_admin" -c "CREATE DATABASE renkei_conf_$$" \
		>"$tmp/psql.log" 2>&1; then
		echo "run.sh: cannot create a database on $RENKEI_TEST_PG:" >&2
		cat "$tmp/psql.log" >&2
		exit 2
	fi
	pg_db=renkei_conf_$$
	mkdir -p "$data"
	printf '# tests/conformance/run.sh\ndatabase = %s\n' "${pg_base%/}/$pg_db$pg_opts" \
		>"$data/renkei.conf"
fi
if ! "$bin" init --data "$data" --demo "$repo/examples/demo/demo.json" >"$tmp/init.log" 2>&1; then
	echo "run.sh: renkei init failed:" >&2
	cat "$tmp/init.log" >&2
	exit 2
fi

"$bin" serve --data "$data" --port 0 --port-file "$tmp/port" >"$tmp/serve.log" 2>&1 &
pid=$!

port=
i=0
while [ "$i" -lt 100 ]; do
	if [ -s "$tmp/port" ]; then
		port=$(tr -dc '0-9' <"$tmp/port")
		if [ -n "$port" ] && curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz" 2>/dev/null; then
			break
		fi
	fi
	if ! kill -0 "$pid" 2>/dev/null; then
		echo "run.sh: renkei serve exited early:" >&2
		cat "$tmp/serve.log" >&2
		pid=
		exit 2
	fi
	sleep 0.1
	i=$((i + 1))
done
if [ "$i" -ge 100 ]; then
	echo "run.sh: the server did not become healthy:" >&2
	cat "$tmp/serve.log" >&2
	exit 2
fi

creds=$data/demo-credentials.txt
pw1=$(awk '$1 == "ipa-analyst" {print $3}' "$creds")
pw2=$(awk '$1 == "sdf-analyst" {print $3}' "$creds")
if [ -z "$pw1" ] || [ -z "$pw2" ]; then
	echo "run.sh: no ipa-analyst/sdf-analyst passwords in $creds" >&2
	exit 2
fi

python3 "$here/taxii_client.py" --url "http://127.0.0.1:$port/taxii2/" \
	--user ipa-analyst --password="$pw1" --user2 sdf-analyst --password2="$pw2"
rc=$?
if [ $rc -ne 0 ] && [ -n "${CONFORMANCE_SERVER_LOG:-}" ]; then
	cat "$tmp/serve.log" >&2
fi
exit $rc
