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
	# The window starts when the library loads, before the interpreter
	# starts up: a_work ends 0.2 s after its start-up, before the delay
	# of 0.8 s; b_work starts 0.4 s after it, after 0.35 s of sampling.
	pysig_profile "$d.delay" PYSIG_RATE=1000 PYSIG_DELAY=0.8 "$3" "$WORK" \
	    window 0.2 1.2
	pysig_profile "$d.duration" PYSIG_RATE=1000 PYSIG_DURATION=0.35 "$3" \
	    "$WORK" window 0.4 0.6
	pysig_profile "$d.toggle" PYSIG_RATE=1000 PYSIG_TOGGLE_SIGNAL=SIGUSR2 \
	    "$3" "$WORK" toggle "$usr2"
	pysig_profile "$d.bad" PYSIG_MODE=fast PYSIG_DELAY=soon \
	    PYSIG_TOGGLE_SIGNAL=SIGKILL PYSIG_FOLLOW=2 "$3" "$WORK" window 0.1 0.1
	"$CHECK_PYTHON" "$PYDIR/checkcontrol.py" "$2" "$d" >"$tmp/check.out" 2>&1
	tap_feed "$1" 4 "$tmp/check.out"
}

pysig_for_each_python 4 control_one
exit 0
