#!/bin/sh
# Overload: 16 threads sampled at the highest rate (10000/s, wall mode)
# for 1 s while the spool is stopped (as one writing to a very slow disk
# would be): the program's memory stays bounded (peak RSS at most LIMIT_KIB
# above the run without pysig; the sample buffer is 4 MiB) and the samples
# that did not fit are counted in the profile and shown by pysig-report
# --format=info.
# shellcheck source=tests/integration/lib.sh
. "${top_srcdir:?run through make check}/tests/integration/lib.sh"
pysig_require
CHECKFAULTS=$PYDIR/checkfaults.py
LIMIT_KIB=49152

# overload_one LABEL MINOR PYTHON: two checks.
# shellcheck disable=SC2317 # called by pysig_for_each_python
overload_one() {
	d=$tmp/$1
	pysig_run "$d/base" "$3" "$PYDIR/overload.py" 16 1 "$d/base/peak" stop
	pysig_profile "$d/prof" PYSIG_QUIET=1 PYSIG_RATE=10000 PYSIG_MODE=wall \
	    "$3" "$PYDIR/overload.py" 16 1 "$d/prof/peak" stop
	"$CHECK_PYTHON" "$CHECKFAULTS" overload "$2" "$d" "$LIMIT_KIB" \
	    >"$tmp/check.out" 2>&1
	tap_feed "$1" 2 "$tmp/check.out"
}

pysig_for_each_python 2 overload_one
exit 0
