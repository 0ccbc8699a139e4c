#!/bin/sh
# Cpu mode on the threads' task clocks (perf_event_open): the rate asked
# for is delivered (a POSIX CPU-clock timer gives at most the scheduler's
# tick rate), each sample stands for the CPU time it should; a kernel that
# refuses perf events gets one line saying why and CPU-clock timers, as
# PYSIG_CPU_TIMER=posix does without the line; one descriptor per thread,
# none of the parent's in a forked child, a descriptor the program reused
# is never closed under it, the program keeps half its descriptors, and a
# loop in step with the period is sampled at every phase (random periods),
# in cpu mode and, by wall-clock time, in wall mode.
# shellcheck source=tests/integration/lib.sh
. "${top_srcdir:?run through make check}/tests/integration/lib.sh"
pysig_require

WORK=$PYDIR/taskclock.py

# A shim preloaded before pysig: perf_event_open() says EACCES, as under
# kernel.perf_event_paranoid=2 for a user.
cat >"$tmp/refuse.c" <<'END'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/syscall.h>

long
syscall(long nr, ...)
{
	static long	(*next)(long, ...);
	long		a[6];
	va_list		ap;
	int		i;

	if (nr == SYS_perf_event_open) {
		errno = EACCES;
		return -1;
	}
	if (next == NULL)
		next = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall");
	va_start(ap, nr);
	for (i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	return next(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}
END
refuse=
if ${CC:-cc} -shared -fPIC -O1 -o "$tmp/librefuse.so" "$tmp/refuse.c" -ldl \
    >"$tmp/cc.log" 2>&1; then
	refuse=$tmp/librefuse.so
else
	tap_diag "$tmp/cc.log"
	refuse=-
fi

# taskclock_one LABEL MINOR PYTHON: eight checks.
# shellcheck disable=SC2317 # called by pysig_for_each_python
taskclock_one() {
	d=$tmp/$1
	pysig_profile "$d.burn" PYSIG_RATE=1000 "$3" "$WORK" burn 1.5
	pysig_profile "$d.posix" PYSIG_RATE=1000 PYSIG_CPU_TIMER=posix \
	    "$3" "$WORK" burn 1.5
	if [ "$refuse" != - ]; then
		pysig_profile "$d.fallback" PYSIG_RATE=1000 \
		    LD_PRELOAD="$refuse:$PYSIG_LIB" "$3" "$WORK" burn 1.5
	fi
	pysig_profile "$d.fds" PYSIG_RATE=1000 "$3" "$WORK" fds
	pysig_profile_after "$d.limit" 'ulimit -n' 64 PYSIG_RATE=1000 \
	    "$3" "$WORK" limit
	pysig_profile "$d.lockstep" PYSIG_RATE=1000 "$3" "$WORK" lockstep
	pysig_profile "$d.lockwall" PYSIG_RATE=1000 PYSIG_MODE=wall "$3" \
	    "$WORK" lockstep wall
	"$CHECK_PYTHON" "$PYDIR/checktaskclock.py" "$2" "$d" \
	    >"$tmp/check.out" 2>&1
	tap_feed "$1" 8 "$tmp/check.out"
}

pysig_for_each_python 8 taskclock_one
exit 0
