#!/bin/sh
# Thousands of generated functions, each run once and freed, so that new code
# objects reuse the addresses of old ones: every sample is still named after
# the function that ran (its only caller, its own file and lines, a count
# that fits its CPU time), never after a dead one.
# shellcheck source=tests/integration/lib.sh
. "${top_srcdir:?run through make check}/tests/integration/lib.sh"
pysig_require

# codereuse_one LABEL MINOR PYTHON: four checks.
# shellcheck disable=SC2317 # called by pysig_for_each_python
codereuse_one() {
	d=$tmp/$1
	pysig_profile "$d" PYSIG_RATE=1000 "$3" "$PYDIR/codereuse.py" 2.5 2000
	checkprof codereuse "$2" "$d"
	tap_feed "$1" 4 "$tmp/check.out"
}

pysig_for_each_python 4 codereuse_one
exit 0
