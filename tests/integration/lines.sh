#!/bin/sh
# The line reported for a frame is the line executing in it: of two hot
# single-line loops doing 80% and 20% of the work, the first has most
# samples and both appear; the caller's frame shows the line of the call.
# shellcheck source=tests/integration/lib.sh
. "${top_srcdir:?run through make check}/tests/integration/lib.sh"
pysig_require

# lines_one LABEL MINOR PYTHON: three checks.
# shellcheck disable=SC2317 # called by pysig_for_each_python
lines_one() {
	d=$tmp/$1
	pysig_profile "$d" PYSIG_RATE=1000 "$3" "$PYDIR/lines.py" 2
	checkprof lines "$2" "$d" "$PYDIR/lines.py"
	tap_feed "$1" 3 "$tmp/check.out"
}

pysig_for_each_python 3 lines_one
exit 0
