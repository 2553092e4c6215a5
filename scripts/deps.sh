#!/bin/sh
# Installs the Debian packages renkei needs to build, run and test, when they are
# missing. Runs apt-get as root, or through sudo. Prints nothing when all is there.
# postgresql (the server) and postgresql-client are for the tests on PostgreSQL:
# scripts/pg.sh makes throw-away clusters from the server's binaries. Debian's
# postinst may also create and start a cluster of its own (15/main on port
# 5432); nothing of renkei's uses or needs it.
set -eu

PKGS="build-essential pkg-config make
libmicrohttpd-dev libgnutls28-dev libjansson-dev libsqlite3-dev libsodium-dev
libcurl4-openssl-dev libpq-dev libcmocka-dev
clang libclang-rt-dev clang-format gnutls-bin openssl curl sqlite3 python3 wrk
postgresql postgresql-client"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

echo "renkei: installing missing Debian packages:$missing" >&2
if [ "$(id -u)" -eq 0 ]; then
	SUDO=""
elif command -v sudo >/dev/null 2>&1; then
	SUDO="sudo"
else
	echo "renkei: need root or sudo to install:$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
