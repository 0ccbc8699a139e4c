#!/bin/sh
# Runtime control: PYSIG_DELAY, PYSIG_DURATION and PYSIG_TOGGLE_SIGNAL
# decide which phases of a program are sampled, and the profile says so;
# bad values of the new variables get one line each and the defaults.
# shellcheck source=tests/integration/lib.sh
. "${top_srcdir:?run through make check}/tests/integration/lib.sh"
pysig_require

WORK=$PYDIR/control.py
usr2=$(kill -l USR2 2>/dev/null) || usr2=12

# control_one LABEL MINOR PYTHON: four checks.
# shellcheck disable=SC2317 # called by pysig_for_each_python
control_one() {
	d=$tmp/$1
	# The window counts from when the library loads, at the start of the
	# process; the phases too: a_work until 0.4 s, b_work until 1.2 s.
	pysig_profile "$d.delay" PYSIG_RATE=1000 PYSIG_DELAY=0.6 "$3" "$WORK" \
	    window 0.4 1.2
	pysig_profile "$d.duration" PYSIG_RATE=1000 PYSIG_DURATION=0.3 "$3" \
	    "$WORK" window 0.4 1.0
	pysig_profile "$d.toggle" PYSIG_RATE=1000 PYSIG_TOGGLE_SIGNAL=SIGUSR2 \
	    "$3" "$WORK" toggle "$usr2"
	pysig_profile "$d.bad" PYSIG_MODE=fast PYSIG_DELAY=soon \
	    PYSIG_TOGGLE_SIGNAL=SIGKILL PYSIG_FOLLOW=2 "$3" "$WORK" window 0.2 0.4
	"$CHECK_PYTHON" "$PYDIR/checkcontrol.py" "$2" "$d" >"$tmp/check.out" 2>&1
	tap_feed "$1" 4 "$tmp/check.out"
}

pysig_for_each_python 4 control_one
exit 0
