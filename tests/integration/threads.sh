#!/bin/sh
# Four busy Python threads and a busy main thread are all reported, and a
# thread with no Python state (a pthread started by a C library) is sampled
# safely as [thread without Python].
# shellcheck source=tests/integration/lib.sh
. "${top_srcdir:?run through make check}/tests/integration/lib.sh"
pysig_require

# A thread that burns CPU in C, never touching Python.
cat >"$tmp/spin.c" <<'END'
#include <pthread.h>
#include <time.h>

static pthread_t spin_tid;

static double
spin_cpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *
spin_main(void *arg)
{
	double end = spin_cpu() + (double)(long)arg / 1000.0;
	volatile unsigned long x = 0;

	while (spin_cpu() < end)
		for (int i = 0; i < 100000; i++)
			x += (unsigned long)i * (unsigned long)i;
	return NULL;
}

int spin_thread(int ms);
int join_spin(void);

int
spin_thread(int ms)
{
	return pthread_create(&spin_tid, NULL, spin_main, (void *)(long)ms);
}

int
join_spin(void)
{
	return pthread_join(spin_tid, NULL);
}
END
spin=-
if ${CC:-cc} -shared -fPIC -O1 -pthread -o "$tmp/libspin.so" "$tmp/spin.c" \
    >"$tmp/cc.log" 2>&1; then
	spin=$tmp/libspin.so
else
	tap_diag "$tmp/cc.log"
fi

# threads_one LABEL MINOR PYTHON: three checks.
# shellcheck disable=SC2317 # called by pysig_for_each_python
threads_one() {
	d=$tmp/$1
	if [ "$spin" = - ]; then
		pysig_profile "$d" PYSIG_RATE=1000 "$3" "$PYDIR/threads.py"
	else
		pysig_profile "$d" PYSIG_RATE=1000 "$3" "$PYDIR/threads.py" "$spin"
	fi
	checkprof threads "$2" "$d" "$spin"
	tap_feed "$1" 3 "$tmp/check.out"
}

pysig_for_each_python 3 threads_one
exit 0
