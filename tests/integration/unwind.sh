#!/bin/sh
# The fast native unwind keeps libunwind's memory validation off.  On a
# stack 100 Python calls deep, each made through map() so that every
# interpreter nests C frames as well, pysig makes at most 4 mincore() calls
# (libunwind validates a page with mincore(), read() and write()) for each
# address libunwind meets for the first time (counted by its
# dl_iterate_phdr() calls): 0.1 to 2.2 here.  Without pysig's short first
# walk it made 6.2 to 10.3: once a walk meets a new address (the interrupted
# one, in most samples), libunwind validates every further stack page of
# that walk.  The first check makes sure the stacks were unwound that deep.
# shellcheck source=tests/integration/lib.sh
. "${top_srcdir:?run through make check}/tests/integration/lib.sh"
pysig_require
# The mixed view, to count native frames.
PYSIG_REPORT_VIEW=

SHIM=$tmp/countmincore.so
_cc=${CC:-cc}
if ! command -v "${_cc%% *}" >/dev/null 2>&1; then
	echo "no C compiler ($_cc) to build ext/countmincore.c" >"$tmp/shim.skip"
else
	# shellcheck disable=SC2086 # CC may hold options
	$_cc -shared -fPIC -O2 -o "$SHIM" \
	    "$top_srcdir/tests/integration/ext/countmincore.c" -ldl \
	    >"$tmp/cc.log" 2>&1 ||
		echo "building countmincore.c failed: $(head -c 300 "$tmp/cc.log")" \
		    >"$tmp/shim.fail"
fi

# unwind_one LABEL MINOR PYTHON: two checks.
# shellcheck disable=SC2317 # called by pysig_for_each_python
unwind_one() {
	if [ -f "$tmp/shim.skip" ]; then
		tap_skip_n 2 "$1: $(cat "$tmp/shim.skip")"
		return 0
	fi
	d=$tmp/$1
	pysig_profile "$d" PYSIG_RATE=1000 \
	    LD_PRELOAD="$PYSIG_LIB $SHIM" COUNT_OUT="$d/counts" \
	    "$3" "$PYDIR/mapdeep.py" 100 1.5
	[ -f "$tmp/shim.fail" ] && cp "$tmp/shim.fail" "$d/counts"
	checkprof unwind "$2" "$d"
	tap_feed "$1" 2 "$tmp/check.out"
}

pysig_for_each_python 2 unwind_one
exit 0
