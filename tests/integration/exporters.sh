#!/bin/sh
# The pstats, callgrind and pprof exports read by their real consumers: the
# same interpreter's pstats.Stats and python -m pstats, valgrind's
# callgrind_annotate, and protoc with a schema of profile.proto.  A
# workload whose hot_loop burns three quarters of the time under caller is
# exported; each consumer must put hot_loop first with the samples the
# collapsed report gives it, and see caller above it.
# shellcheck source=tests/integration/lib.sh
. "${top_srcdir:?run through make check}/tests/integration/lib.sh"
pysig_require

CHECKEXPORT=$PYDIR/checkexport.py
PROTO=$top_srcdir/tests/data/profile.proto

# exporters_export DIR VIEW [OPTION]: DIR/report/out.prof.VIEW.{pstats,
# callgrind,pprof} made with OPTION, exit status and stderr beside them.
# shellcheck disable=SC2317 # called by exporters_one
exporters_export() {
	[ -f "$1/out.prof" ] || return 0
	for _fmt in pstats callgrind pprof; do
		_b=$1/report/out.prof.$2.$_fmt
		# shellcheck disable=SC2086 # an option or nothing
		timeout -k 10 120 "$PYSIG_REPORT" --format="$_fmt" ${3-} \
		    -o "$_b" "$1/out.prof" 2>"$_b.err"
		echo $? >"$_b.status"
	done
}

# exporters_one LABEL MINOR PYTHON: eight checks (see checkexport.py).
# shellcheck disable=SC2317 # called by pysig_for_each_python
exporters_one() {
	d=$tmp/$1
	pysig_profile "$d" PYSIG_RATE=1000 "$3" "$PYDIR/stats_work.py" 1
	exporters_export "$d" python-only --python-only
	exporters_export "$d" mixed
	timeout -k 10 300 "$3" "$CHECKEXPORT" "$d" "$PROTO" \
	    >"$tmp/check.out" 2>&1
	tap_feed "$1" 8 "$tmp/check.out"
}

pysig_for_each_python 8 exporters_one
exit 0
