#!/bin/sh
# Run the libFuzzer harness for FUZZ_SECONDS (default 600) on a corpus seeded
# from real profiles; what it finds goes to DIR/artifacts.  Used by make fuzz.
#
#   run.sh HARNESS LIBPYSIG DIR
#
# FUZZ_FLAGS adds libFuzzer options (e.g. -fork=1 -ignore_crashes=1 to keep
# going after a crash).  Exit status: the harness's (0: nothing found).
set -eu

harness=$1
lib=$2
dir=$3
srcdir=$(cd "$(dirname "$0")" && pwd)
seconds=${FUZZ_SECONDS:-600}

mkdir -p "$dir/corpus" "$dir/artifacts"
# The corpus grows from run to run; seed it once.
if [ -z "$(ls -A "$dir/corpus")" ]; then
	sh "$srcdir/seeds.sh" "$lib" "$dir/corpus"
fi
# The reports the harness writes go to /dev/null; -close_fd_mask=1 silences
# anything else a format would print on standard output.
# shellcheck disable=SC2086
"$harness" -max_total_time="$seconds" -timeout=20 -max_len=131072 \
    -rss_limit_mb=2048 -print_final_stats=1 -close_fd_mask=1 \
    -dict="$srcdir/pysig.dict" -artifact_prefix="$dir/artifacts/" \
    ${FUZZ_FLAGS:-} "$dir/corpus" "$srcdir/../data/fuzz"
