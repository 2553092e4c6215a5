#!/bin/sh
# The benchmark in its short mode, for `make test`: small sizes, one-second
# runs, every step checked, no timing asserted, under 15 s. The test runner
# passes a data directory as $1 (ignored) and the binary in RENKEI_BIN; the
# POST driver is expected beside it, in bench/post_load.
here=$(cd "$(dirname "$0")" && pwd)
exec python3 "$here/run.py" --short
