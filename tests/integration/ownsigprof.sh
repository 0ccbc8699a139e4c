#!/bin/sh
# A program that uses SIGPROF itself (setitimer(ITIMER_PROF) with a Python
# handler, a handler without a timer and a kill(), a thread that blocks
# SIGPROF, SIG_IGN) works as without pysig: its handler runs at its own
# rate, never at pysig's, and signal.getsignal() returns what it set.
# pysig says once that it keeps sampling, and does.
# shellcheck source=tests/integration/lib.sh
. "${top_srcdir:?run through make check}/tests/integration/lib.sh"
pysig_require
CHECKFAULTS=$PYDIR/checkfaults.py

# own_one LABEL MINOR PYTHON: three checks.
# shellcheck disable=SC2317 # called by pysig_for_each_python
own_one() {
	d=$tmp/$1
	pysig_run "$d/base" "$3" "$PYDIR/ownsigprof.py"
	pysig_profile "$d/prof" "$3" "$PYDIR/ownsigprof.py"
	"$CHECK_PYTHON" "$CHECKFAULTS" ownsigprof "$2" "$d" >"$tmp/check.out" 2>&1
	tap_feed "$1" 3 "$tmp/check.out"
}

pysig_for_each_python 3 own_one
exit 0
