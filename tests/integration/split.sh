#!/bin/sh
# Two functions doing 70% and 30% of the work (as measured by the workload
# with time.thread_time) get 70% and 30% of the samples, within 5 points.
# shellcheck source=tests/integration/lib.sh
. "${top_srcdir:?run through make check}/tests/integration/lib.sh"
pysig_require

# split_one LABEL MINOR PYTHON: two checks.
# shellcheck disable=SC2317 # called by pysig_for_each_python
split_one() {
	d=$tmp/$1
	pysig_profile "$d" PYSIG_RATE=1000 "$3" "$PYDIR/split.py" 2.5
	checkprof split "$2" "$d"
	tap_feed "$1" 2 "$tmp/check.out"
}

pysig_for_each_python 2 split_one
exit 0
