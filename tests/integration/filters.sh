#!/bin/sh
# pysig-report's filters and comparisons on a real two-phase workload
# (phases.py: phase_a, then phase_b): --since/--until at the phase boundary
# select each phase, --focus/--exclude keep or drop exactly the samples
# through a function or a "file:line", --min-percent drops small stacks and
# rows, --diff between an A-heavy and a B-heavy run shows A shrinking and B
# growing (also in the differential flame graph's colours and widths), and
# --lines quotes the hot source line.
# shellcheck source=tests/integration/lib.sh
. "${top_srcdir:?run through make check}/tests/integration/lib.sh"
pysig_require

# filters_one LABEL MINOR PYTHON: thirteen checks.
# shellcheck disable=SC2317 # called by pysig_for_each_python
filters_one() {
	d=$tmp/$1
	pysig_profile "$d/a" PYSIG_RATE=250 "$3" "$PYDIR/phases.py" 1.0 0.5
	pysig_profile "$d/b" PYSIG_RATE=250 "$3" "$PYDIR/phases.py" 0.5 1.0
	"$CHECK_PYTHON" "$PYDIR/checkfilters.py" "$PYSIG_REPORT" "$d/a" "$d/b" \
	    "$PYDIR/phases.py" >"$tmp/check.out" 2>&1
	tap_feed "$1" 13 "$tmp/check.out"
}

pysig_for_each_python 13 filters_one
exit 0
