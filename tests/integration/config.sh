#!/bin/sh
# The environment variables: a bad value gets one "pysig:" line naming the
# variable and the default used, and the program is still profiled; an
# output in a missing directory leaves the program unprofiled with its exit
# status; PYSIG_QUIET=1 leaves stderr as it is without pysig; exit statuses
# pass through; the header records pid, Python version, rate and depth; a
# Python started by a profiled Python writes <output>.<pid>.
# shellcheck source=tests/integration/lib.sh
. "${top_srcdir:?run through make check}/tests/integration/lib.sh"
pysig_require

# Bad values: "case-name VAR=value" (values without spaces).
cat >"$tmp/cases" <<'END'
rate_word PYSIG_RATE=abc
rate_zero PYSIG_RATE=0
rate_negative PYSIG_RATE=-5
rate_huge PYSIG_RATE=99999999999
rate_over PYSIG_RATE=10001
depth_zero PYSIG_MAX_DEPTH=0
depth_word PYSIG_MAX_DEPTH=12abc
depth_over PYSIG_MAX_DEPTH=4097
quiet_word PYSIG_QUIET=yes
native_word PYSIG_NATIVE=yes
native_two PYSIG_NATIVE=2
ndepth_zero PYSIG_NATIVE_DEPTH=0
ndepth_over PYSIG_NATIVE_DEPTH=1025
unwind_word PYSIG_UNWIND=fast
slowdown_zero PYSIG_IDLE_SLOWDOWN=0
slowdown_over PYSIG_IDLE_SLOWDOWN=1001
cputimer_word PYSIG_CPU_TIMER=hrtimer
END
ncases=$(wc -l <"$tmp/cases")

# config_one LABEL MINOR PYTHON: ncases + 5 checks.
# shellcheck disable=SC2317 # called by pysig_for_each_python
config_one() {
	d=$tmp/$1
	w=$PYDIR/config_work.py
	mkdir -p "$d"
	cp "$tmp/cases" "$d/cases"
	pysig_run "$d/baseline" "$3" "$w" "$d/baseline/side" 5
	while read -r name assignment; do
		pysig_profile "$d/$name" "$assignment" "$3" "$w" "$d/$name/side" 5
	done <"$tmp/cases"
	pysig_profile "$d/output_missing" \
	    PYSIG_OUTPUT="$d/output_missing/missing/out.prof" \
	    "$3" "$w" "$d/output_missing/side" 5
	pysig_profile "$d/quiet" PYSIG_QUIET=1 "$3" "$w" "$d/quiet/side" 5
	pysig_profile "$d/status3" "$3" "$w" "$d/status3/side" 3
	pysig_profile "$d/header" PYSIG_RATE=250 PYSIG_MAX_DEPTH=300 \
	    "$3" "$w" "$d/header/side" 5
	pysig_profile "$d/child" "$3" "$w" "$d/child/side" 5 child
	checkprof config "$2" "$d"
	tap_feed "$1" $((ncases + 5)) "$tmp/check.out"
}

pysig_for_each_python $((ncases + 5)) config_one
exit 0
