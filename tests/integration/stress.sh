#!/bin/sh
# Stress: a 10,000-deep recursion (the stack depth cap holds, the stacks
# are marked truncated, nothing crashes) and a program that forks 50 times
# (a readable profile of bounded size per process, no descriptor or POSIX
# timer left behind in the parent).  2000 short-lived threads:
# threadtime.sh.
# shellcheck source=tests/integration/lib.sh
. "${top_srcdir:?run through make check}/tests/integration/lib.sh"
pysig_require
CHECKFAULTS=$PYDIR/checkfaults.py
DEPTH=10000
FORKS=50

# stress_one LABEL MINOR PYTHON: four checks.
# shellcheck disable=SC2317 # called by pysig_for_each_python
stress_one() {
	d=$tmp/$1
	pysig_run "$d/recursion/base" "$3" "$PYDIR/stress.py" recursion "$DEPTH"
	pysig_profile "$d/recursion/prof" PYSIG_QUIET=1 "$3" \
	    "$PYDIR/stress.py" recursion "$DEPTH"
	pysig_run "$d/forks/base" "$3" "$PYDIR/stress.py" forks "$FORKS"
	pysig_profile "$d/forks/prof" PYSIG_QUIET=1 "$3" \
	    "$PYDIR/stress.py" forks "$FORKS"
	"$CHECK_PYTHON" "$CHECKFAULTS" stress "$2" "$d" "$DEPTH" "$FORKS" \
	    >"$tmp/check.out" 2>&1
	tap_feed "$1" 4 "$tmp/check.out"
}

pysig_for_each_python 4 stress_one
exit 0
