#!/bin/sh
# A profiled program that leaves by os._exit(5), abort() (SIGABRT), an
# unhandled exception or sys.exit(3) exits with the status and prints the
# stdout and stderr it does without pysig (PYSIG_QUIET=1), and its profile
# reads and holds its samples.  (kill -9: kill.sh.)
# shellcheck source=tests/integration/lib.sh
. "${top_srcdir:?run through make check}/tests/integration/lib.sh"
pysig_require
CHECKFAULTS=$PYDIR/checkfaults.py
# abort() must not leave core files behind.
# shellcheck disable=SC3045 # dash, bash and busybox sh all have ulimit -c
ulimit -c 0 2>/dev/null

# exits_one LABEL MINOR PYTHON: eight checks.
# shellcheck disable=SC2317 # called by pysig_for_each_python
exits_one() {
	for how in _exit abort exception sysexit; do
		d=$tmp/$1/$how
		pysig_run "$d/base" "$3" "$PYDIR/exits.py" "$how"
		pysig_profile "$d/prof" PYSIG_QUIET=1 "$3" "$PYDIR/exits.py" "$how"
	done
	"$CHECK_PYTHON" "$CHECKFAULTS" exits "$2" "$tmp/$1" >"$tmp/check.out" 2>&1
	tap_feed "$1" 8 "$tmp/check.out"
}

pysig_for_each_python 8 exits_one
exit 0
