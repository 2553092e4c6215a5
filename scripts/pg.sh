#!/bin/sh
# Throw-away PostgreSQL clusters for the tests: made in a directory of their
# own, listening on 127.0.0.1 only, trusted, and removed with that directory.
# Nothing here uses a cluster that Debian's packages may have made (no
# pg_ctlcluster, no /var/run/postgresql, no port 5432): only the server's
# binaries, found with pg_config --bindir or under /usr/lib/postgresql.
#
# usage: pg.sh start DIR PORT
#            make a cluster in DIR (DIR/data, the socket and the log in DIR),
#            start it on 127.0.0.1:PORT and print its base DSN,
#            postgresql://USER@127.0.0.1:PORT
#        pg.sh standby PRIMARY_PORT DIR PORT
#            copy the cluster on 127.0.0.1:PRIMARY_PORT with pg_basebackup
#            (-R -X stream) into DIR, start it as a hot standby on PORT and
#            print its base DSN
#        pg.sh stop DIR
#            stop the cluster of DIR (pg_ctl stop -m fast) and remove DIR
#        pg.sh freeport [FROM]
#            print the first port from FROM (default 55432) on which nothing
#            listens on 127.0.0.1
#
# As root, DIR is given to the postgres user and every server program runs
# as postgres (the server refuses to run as root), and USER is postgres; as
# anyone else they run as that user, who is then USER. The settings are for
# tests only: see docs/postgresql-testing.md.
set -eu

die() {
	echo "pg.sh: $*" >&2
	exit 1
}

# The directory of initdb, pg_ctl, pg_basebackup: pg_config's, when it has
# the server (libpq-dev's pg_config may name a version whose server is not
# installed), else the newest /usr/lib/postgresql/*/bin.
bindir() {
	d=$(pg_config --bindir 2>/dev/null || true)
	if [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
		echo "$d"
		return
	fi
	d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
	if [ -n "$d" ] && [ -x "$d/initdb" ]; then
		echo "$d"
		return
	fi
	die "no PostgreSQL server binaries (install the Debian package postgresql)"
}

if [ "$(id -u)" -eq 0 ]; then
	PGUSER_NAME=postgres
	getent passwd postgres >/dev/null || die "no user postgres (install the Debian package postgresql)"
else
	PGUSER_NAME=$(id -un)
fi

# Runs a server program as PGUSER_NAME, from a directory it may enter.
as_pg() {
	if [ "$(id -u)" -eq 0 ]; then
		(cd / && runuser -u postgres -- "$@")
	else
		(cd / && "$@")
	fi
}

port_free() {
	python3 - "$1" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
finally:
    s.close()
EOF
}

check_port() {
	case $1 in '' | *[!0-9]*) die "not a port: $1" ;; esac
	if [ "$1" -lt 1 ] || [ "$1" -gt 65535 ]; then
		die "not a port: $1"
	fi
}

# DIR as an absolute path, made (mode 0700) when missing, marked as ours.
prepare_dir() {
	mkdir -p "$1"
	dir=$(cd "$1" && pwd)
	[ -e "$dir/data" ] && die "$dir/data exists already"
	chmod 0700 "$dir"
	: >"$dir/.renkei-pg"
	if [ "$(id -u)" -eq 0 ]; then
		chown -R postgres: "$dir"
	fi
}

# The settings both kinds of cluster share, after what initdb or
# pg_basebackup wrote (the last occurrence of a setting wins).
write_conf() {
	cat >>"$dir/data/postgresql.conf" <<EOF

# ---- scripts/pg.sh: a throw-away cluster for tests ----
# (make bench-pg sets PG_FSYNC=on and PG_SHARED_BUFFERS=256MB: measured
# with the durability of SQLite's WAL with synchronous=NORMAL)
listen_addresses = '127.0.0.1'
port = $2
unix_socket_directories = '$dir'
max_connections = 200
wal_level = replica
max_wal_senders = 5
hot_standby = on
# Durability is not wanted here: the cluster is deleted after the run, and
# without fsync the suite does not wait for the disk at every commit. A crash
# of the server (not of renkei) could lose commits; no test crashes it.
fsync = ${PG_FSYNC:-off}
synchronous_commit = off
shared_buffers = ${PG_SHARED_BUFFERS:-128MB}
logging_collector = off
log_line_prefix = '%m [%p] %d '
EOF
	cat >"$dir/data/pg_hba.conf" <<EOF
# scripts/pg.sh: trust on the loopback and the socket in $dir only.
local   all          all                 trust
local   replication  all                 trust
host    all          all   127.0.0.1/32  trust
host    replication  all   127.0.0.1/32  trust
EOF
	if [ "$(id -u)" -eq 0 ]; then
		chown postgres: "$dir/data/postgresql.conf" "$dir/data/pg_hba.conf"
	fi
}

# Starts the cluster of $dir and waits until it accepts connections.
start_cluster() {
	if ! as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null; then
		echo "pg.sh: the server did not start; the end of its log:" >&2
		tail -n 20 "$dir/server.log" >&2 2>/dev/null || true
		exit 1
	fi
	echo "postgresql://$PGUSER_NAME@127.0.0.1:$1"
}

cmd=${1:-}
case $cmd in
start)
	[ $# -eq 3 ] || die "usage: pg.sh start DIR PORT"
	check_port "$3"
	bin=$(bindir)
	port_free "$3" || die "port $3 is in use on 127.0.0.1"
	prepare_dir "$2"
	# --no-locale: byte order for text, as SQLite's; UTF8 for the objects.
	if ! as_pg "$bin/initdb" -D "$dir/data" -U "$PGUSER_NAME" -A trust -E UTF8 --no-locale \
		>"$dir/initdb.log" 2>&1; then
		cat "$dir/initdb.log" >&2
		die "initdb failed"
	fi
	write_conf "$dir" "$3"
	start_cluster "$3"
	;;
standby)
	[ $# -eq 4 ] || die "usage: pg.sh standby PRIMARY_PORT DIR PORT"
	check_port "$2"
	check_port "$4"
	bin=$(bindir)
	port_free "$4" || die "port $4 is in use on 127.0.0.1"
	prepare_dir "$3"
	# -R writes standby.signal and primary_conninfo; -X stream copies the WAL
	# written meanwhile; -c fast does not wait for the next checkpoint.
	if ! as_pg "$bin/pg_basebackup" -h 127.0.0.1 -p "$2" -U "$PGUSER_NAME" -D "$dir/data" \
		-R -X stream -c fast >"$dir/basebackup.log" 2>&1; then
		cat "$dir/basebackup.log" >&2
		die "pg_basebackup from port $2 failed"
	fi
	write_conf "$dir" "$4"
	start_cluster "$4"
	;;
stop)
	[ $# -eq 2 ] || die "usage: pg.sh stop DIR"
	[ -d "$2" ] || exit 0
	dir=$(cd "$2" && pwd)
	# Only ever remove what start or standby made.
	[ -f "$dir/.renkei-pg" ] || die "$dir was not made by pg.sh; not removing it"
	if [ -f "$dir/data/postmaster.pid" ]; then
		bin=$(bindir)
		if ! as_pg "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null 2>&1; then
			echo "pg.sh: pg_ctl stop -m fast failed for $dir; stopping it -m immediate" >&2
			as_pg "$bin/pg_ctl" -D "$dir/data" -m immediate -w -t 30 stop >/dev/null 2>&1 ||
				die "cannot stop the cluster of $dir; not removing it"
		fi
	fi
	rm -rf "$dir"
	;;
freeport)
	p=${2:-55432}
	check_port "$p"
	end=$((p + 200))
	while [ "$p" -lt "$end" ]; do
		if port_free "$p"; then
			echo "$p"
			exit 0
		fi
		p=$((p + 1))
	done
	die "no free port from ${2:-55432} to $end"
	;;
*)
	die "usage: pg.sh start DIR PORT | standby PRIMARY_PORT DIR PORT | stop DIR | freeport [FROM]"
	;;
esac
