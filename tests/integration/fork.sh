#!/bin/sh
# A profiled program that forks (os.fork from __main__) behaves as without
# pysig: same output, no warning about threads on 3.12+, same exit status,
# and the parent's profile stays readable (the child is not profiled yet).
# shellcheck source=tests/integration/lib.sh
. "${top_srcdir:?run through make check}/tests/integration/lib.sh"
pysig_require

check() {
	label=$1 python=$3
	d=$tmp/$label
	pysig_run "$d.base" "$python" "$PYDIR/forker.py"
	# 1000/s: burn() is about 16 ms of the parent's CPU time on a fast Python.
	pysig_profile "$d.pre" PYSIG_QUIET=1 PYSIG_RATE=1000 "$python" \
	    "$PYDIR/forker.py"
	if cmp -s "$d.base/stdout" "$d.pre/stdout" &&
	    cmp -s "$d.base/stderr" "$d.pre/stderr" &&
	    cmp -s "$d.base/status" "$d.pre/status"; then
		tap_ok "$label: output, stderr and status unchanged"
	else
		tap_not_ok "$label: output, stderr and status unchanged"
		tap_diag "$d.pre/stderr"
		tap_diag "$d.pre/stdout"
	fi
	r=$d.pre/report/out.prof
	if [ -f "$d.pre/out.prof" ] && [ "$(cat "$r.info.status")" = 0 ] &&
	    grep -q '^trailer: yes' "$r.info" &&
	    grep -q 'burn (' "$r.collapsed"; then
		tap_ok "$label: the parent's profile is complete"
	else
		tap_not_ok "$label: the parent's profile is complete"
		tap_diag "$r.info.err"
		tap_diag "$r.info"
	fi
}

pysig_for_each_python 2 check
