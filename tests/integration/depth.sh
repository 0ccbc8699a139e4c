#!/bin/sh
# A 500-deep recursion is reported whole under the default PYSIG_MAX_DEPTH;
# with PYSIG_MAX_DEPTH=100 a 300-deep one keeps its 100 innermost frames
# under a [truncated] root, and info counts the truncated samples.
# shellcheck source=tests/integration/lib.sh
. "${top_srcdir:?run through make check}/tests/integration/lib.sh"
pysig_require

# depth_one LABEL MINOR PYTHON: three checks.
# shellcheck disable=SC2317 # called by pysig_for_each_python
depth_one() {
	d=$tmp/$1
	pysig_profile "$d/full" PYSIG_RATE=1000 "$3" "$PYDIR/depth.py" 500 1
	pysig_profile "$d/cut" PYSIG_RATE=1000 PYSIG_MAX_DEPTH=100 \
	    "$3" "$PYDIR/depth.py" 300 1
	checkprof depth "$2" "$d/full" "$d/cut" 500 300 100
	tap_feed "$1" 3 "$tmp/check.out"
}

pysig_for_each_python 3 depth_one
exit 0
