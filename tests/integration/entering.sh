#!/bin/sh
# C calling back into Python (a ctypes qsort comparison, sorted() and map()
# keys) sampled at 10000/s in wall mode: no invalid frame and no stale
# stack.  On 3.11 and 3.12 some signals land while the interpreter switches
# to its new _PyCFrame, before it is filled in (src/sample.c, sampler_top);
# those samples are the caller's stack or [entering Python].
# shellcheck source=tests/integration/lib.sh
. "${top_srcdir:?run through make check}/tests/integration/lib.sh"
pysig_require

# entering_one LABEL MINOR PYTHON: two checks.
# shellcheck disable=SC2317 # called by pysig_for_each_python
entering_one() {
	d=$tmp/$1
	pysig_profile "$d" PYSIG_RATE=10000 PYSIG_MODE=wall "$3" \
	    "$PYDIR/entering.py" 1
	checkprof entering "$2" "$d"
	tap_feed "$1" 2 "$tmp/check.out"
}

pysig_for_each_python 2 entering_one
exit 0
