#!/bin/sh
# The benchmark in its short mode, for `make test`: small sizes, one-second
# runs, every step checked, no timing asserted; then again with the GET
# figures over HTTPS and two I/O threads (--tls --io-threads 2). About 12 s
# each. The test runner passes a data directory as $1 (ignored) and the
# binary in RENKEI_BIN; the POST driver is expected beside it, in
# bench/post_load.
here=$(cd "$(dirname "$0")" && pwd)
python3 "$here/run.py" --short || exit 1
exec python3 "$here/run.py" --short --tls --io-threads 2
