#!/bin/sh
# Sampling at 1000/s, in wall and in CPU mode, interrupts no system call
# the program sees: a read(2) on a pipe through ctypes (no retry on EINTR),
# time.sleep, select.select, socket.recv, subprocess's communicate and
# os.waitpid, all blocked for about 1 s, return what they return without
# pysig.  (pysig's handler is installed with SA_RESTART.)
# shellcheck source=tests/integration/lib.sh
. "${top_srcdir:?run through make check}/tests/integration/lib.sh"
pysig_require
CHECKFAULTS=$PYDIR/checkfaults.py
CALLS="read sleep select recv communicate waitpid"

# eintr_one LABEL MINOR PYTHON: three checks.
# shellcheck disable=SC2317 # called by pysig_for_each_python
eintr_one() {
	d=$tmp/$1
	# shellcheck disable=SC2086 # the calls are words
	pysig_run "$d/base" "$3" "$PYDIR/eintr.py" $CALLS
	for mode in wall cpu; do
		# shellcheck disable=SC2086
		pysig_profile "$d/$mode" PYSIG_QUIET=1 PYSIG_RATE=1000 \
		    PYSIG_MODE=$mode "$3" "$PYDIR/eintr.py" $CALLS
	done
	"$CHECK_PYTHON" "$CHECKFAULTS" eintr "$2" "$d" >"$tmp/check.out" 2>&1
	tap_feed "$1" 3 "$tmp/check.out"
}

pysig_for_each_python 3 eintr_one
exit 0
