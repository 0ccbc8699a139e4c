#!/bin/sh
# exec() under pysig.  A forked child that executes another program before
# running any Python code leaves no profile, however long its C code ran
# between fork() and exec() (subprocess on 3.8 and 3.9, closing thousands
# of descriptors); one that ran Python first (os.fork, preexec_fn) keeps
# its profile.  A SIGPROF of pysig's pending at exec() never reaches the
# new program, whichever exec function is called, in every timer mode; the
# program's own pending SIGPROF still does.  After a failed exec() the
# thread is sampled again.
# shellcheck source=tests/integration/lib.sh
. "${top_srcdir:?run through make check}/tests/integration/lib.sh"
pysig_require

WORK=$PYDIR/execs.py

# The program executed: killed by any SIGPROF still pending from before.
cat >"$tmp/helper.c" <<'END'
#include <signal.h>
#include <stdio.h>

int
main(void)
{
	sigset_t	set;

	sigemptyset(&set);
	sigaddset(&set, SIGPROF);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	puts("alive");
	return 0;
}
END
if ! ${CC:-cc} -O1 -o "$tmp/helper" "$tmp/helper.c" >"$tmp/cc.log" 2>&1; then
	tap_diag "$tmp/cc.log"
	echo "1..0 # SKIP no C compiler for the helper program"
	exit 77
fi
helper=$tmp/helper

# exec_one LABEL MINOR PYTHON: six checks.
# shellcheck disable=SC2317 # called by pysig_for_each_python
exec_one() {
	d=$tmp/$1
	pysig_profile "$d.closefds" PYSIG_RATE=1000 "$3" "$WORK" closefds \
	    "$helper"
	for how in execv execve fexecve execl execlp execle execvp execvpe; do
		pysig_profile "$d.pending-$how" PYSIG_RATE=1000 "$3" "$WORK" \
		    pending "$how" "$helper"
	done
	pysig_profile "$d.pending-posix" PYSIG_RATE=1000 \
	    PYSIG_CPU_TIMER=posix "$3" "$WORK" pending execv "$helper"
	pysig_profile "$d.pending-wall" PYSIG_RATE=1000 PYSIG_MODE=wall \
	    "$3" "$WORK" pending execv "$helper"
	pysig_profile "$d.own" PYSIG_RATE=1000 "$3" "$WORK" own "$helper"
	for t in perf posix wall; do
		pysig_profile "$d.failed-$t" PYSIG_RATE=1000 \
		    "$(exec_mode "$t")" "$(exec_timer "$t")" "$3" "$WORK" failed
	done
	pysig_profile "$d.forkwork" PYSIG_RATE=1000 "$3" "$WORK" forkwork \
	    "$helper"
	pysig_profile "$d.preexec" PYSIG_RATE=1000 "$3" "$WORK" preexec \
	    "$helper"
	"$CHECK_PYTHON" "$PYDIR/checkexecs.py" "$2" "$d" \
	    >"$tmp/check.out" 2>&1
	tap_feed "$1" 6 "$tmp/check.out"
}

exec_mode() {
	if [ "$1" = wall ]; then echo PYSIG_MODE=wall; else echo PYSIG_MODE=cpu; fi
}

exec_timer() {
	if [ "$1" = posix ]; then
		echo PYSIG_CPU_TIMER=posix
	else
		echo PYSIG_CPU_TIMER=perf
	fi
}

pysig_for_each_python 6 exec_one
exit 0
