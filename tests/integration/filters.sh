#!/bin/sh
# pysig-report's filters and comparisons on a real workload of two
# functions, phase_a and phase_b (phases.py).  On a run of phase_a then
# phase_b: --since/--until at the boundary select each phase, --focus and
# --exclude keep or drop exactly the samples through a function or a
# "file:line", --min-percent drops exactly the small stacks and rows, and
# --lines quotes the hot source line.  Between a run where phase_a has 3/4
# of the CPU time and one where phase_b has, the two taking turns every few
# milliseconds so that their shares hold on a busy machine: --diff shows A
# shrinking and B growing, in the top table, the collapsed stacks and the
# differential flame graph.
# shellcheck source=tests/integration/lib.sh
. "${top_srcdir:?run through make check}/tests/integration/lib.sh"
pysig_require

# filters_one LABEL MINOR PYTHON: thirteen checks.
# shellcheck disable=SC2317 # called by pysig_for_each_python
filters_one() {
	d=$tmp/$1
	pysig_profile "$d/seq" PYSIG_RATE=250 "$3" "$PYDIR/phases.py" 1.0 0.5
	pysig_profile "$d/a" PYSIG_RATE=250 "$3" "$PYDIR/phases.py" mix 1.2 0.4
	pysig_profile "$d/b" PYSIG_RATE=250 "$3" "$PYDIR/phases.py" mix 0.4 1.2
	"$CHECK_PYTHON" "$PYDIR/checkfilters.py" "$PYSIG_REPORT" "$d/seq" \
	    "$d/a" "$d/b" "$PYDIR/phases.py" >"$tmp/check.out" 2>&1
	tap_feed "$1" 13 "$tmp/check.out"
}

pysig_for_each_python 13 filters_one
exit 0
