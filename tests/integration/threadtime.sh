#!/bin/sh
# Per-thread timers: equally busy threads get equal shares, a sleeping
# thread gets nothing in CPU mode and its wall time in wall mode, a thread
# hashing without the GIL is sampled (and marked as not holding it), its
# Python name finds a thread, 2000
# short-lived threads leave no timer behind, wall mode delivers the rate
# asked for (a tenth of the signals to a waiting thread, by default, each
# standing for ten periods), its idle rate keeps work and waiting where
# they were, and a non-Python child is never killed by SIGPROF.
# shellcheck source=tests/integration/lib.sh
. "${top_srcdir:?run through make check}/tests/integration/lib.sh"
pysig_require

WORK=$PYDIR/threadtime.py

# Threads that end by pthread_exit() and by cancellation, for "many".
cat >"$tmp/ends.c" <<'END'
#include <pthread.h>
#include <unistd.h>

static void *
ends_exit(void *arg)
{
	pthread_exit(arg);
	return NULL;
}

static void *
ends_wait(void *arg)
{
	for (;;)
		pause();	/* a cancellation point */
	return arg;
}

int ends_threads(int n);

/* Start and join n threads that call pthread_exit() and n that are
 * cancelled; the number that failed. */
int
ends_threads(int n)
{
	pthread_t	t;
	int		i, bad = 0;

	for (i = 0; i < n; i++) {
		if (pthread_create(&t, NULL, ends_exit, NULL) != 0 ||
		    pthread_join(t, NULL) != 0)
			bad++;
		if (pthread_create(&t, NULL, ends_wait, NULL) != 0 ||
		    pthread_cancel(t) != 0 || pthread_join(t, NULL) != 0)
			bad++;
	}
	return bad;
}
END
ends=-
if ${CC:-cc} -shared -fPIC -O1 -pthread -o "$tmp/libends.so" "$tmp/ends.c" \
    >"$tmp/cc.log" 2>&1; then
	ends=$tmp/libends.so
else
	tap_diag "$tmp/cc.log"
fi
CHECKER=$PYDIR/checkthreads.py
# Every report gets a root per thread.
PYSIG_REPORT_VIEW="--python-only --per-thread"

# threadtime_one LABEL MINOR PYTHON: thirteen checks.
# shellcheck disable=SC2317 # called by pysig_for_each_python
threadtime_one() {
	d=$tmp/$1
	pysig_profile "$d.fair2" PYSIG_RATE=1000 "$3" "$WORK" fair 2
	pysig_profile "$d.fair4" PYSIG_RATE=1000 "$3" "$WORK" fair 4
	pysig_profile "$d.cpu" PYSIG_RATE=1000 "$3" "$WORK" sleep
	pysig_profile "$d.wall" PYSIG_RATE=1000 PYSIG_MODE=wall "$3" "$WORK" sleep
	# The delivered rate depends on the machine's load: a second try.
	pysig_profile "$d.wall2" PYSIG_RATE=1000 PYSIG_MODE=wall "$3" "$WORK" sleep
	pysig_profile "$d.full" PYSIG_RATE=1000 PYSIG_MODE=wall \
	    PYSIG_IDLE_SLOWDOWN=1 "$3" "$WORK" sleep
	pysig_profile "$d.full2" PYSIG_RATE=1000 PYSIG_MODE=wall \
	    PYSIG_IDLE_SLOWDOWN=1 "$3" "$WORK" sleep
	pysig_profile "$d.bursts" PYSIG_RATE=1000 PYSIG_MODE=wall "$3" "$WORK" \
	    bursts
	pysig_profile "$d.hash" PYSIG_RATE=1000 "$3" "$WORK" hash
	pysig_profile "$d.many" "$3" "$WORK" many "$ends"
	pysig_profile "$d.child" PYSIG_RATE=1000 "$3" "$WORK" child
	"$CHECK_PYTHON" "$CHECKER" "$2" "$d" "$PYSIG_REPORT" \
	    >"$tmp/check.out" 2>&1
	tap_feed "$1" 13 "$tmp/check.out"
}

pysig_for_each_python 13 threadtime_one
exit 0
